-- complaint_resolution_sla on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM(CAST("x0" AS INT)) AS "m0",
    COUNT(1) AS "m1"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."created_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      CAST(EXTRACT(EPOCH FROM (
        "t"."resolved_at" - "t"."created_at"
      )) AS DOUBLE PRECISION) <= 172800 AS "x0"
    FROM "complaints" AS "t"
    WHERE
      "t"."created_at" >= ? AND "t"."created_at" < ?
  ) AS "r"
  GROUP BY
    "period"
)
SELECT
  "period",
  CASE
    WHEN COALESCE("m1", 0) <> 0
    THEN CAST(CAST(COALESCE("m0", 0) AS DOUBLE PRECISION) * 100.0 AS DOUBLE PRECISION) / COALESCE("m1", 0)
  END AS "complaint_resolution_sla__value",
  COALESCE("m0", 0) AS "complaint_resolution_sla__numerator",
  COALESCE("m1", 0) AS "complaint_resolution_sla__denominator",
  COALESCE("m1", 0) AS "complaint_resolution_sla__sample_size"
FROM "combined"
ORDER BY
  "period"
