-- sla_complex_resolution on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM(CAST("x0" AND "x1" AS INT)) AS "m0",
    SUM(CAST("x0" AS INT)) AS "m1"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."created_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      COALESCE("t"."is_complex", FALSE) AS "x0",
      COALESCE(
        CAST(EXTRACT(EPOCH FROM (
          "t"."resolved_at" - "t"."created_at"
        )) AS DOUBLE PRECISION),
        CAST(EXTRACT(EPOCH FROM (
          "t"."closed_at" - "t"."created_at"
        )) AS DOUBLE PRECISION)
      ) <= 86400 AS "x1"
    FROM "tickets" AS "t"
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
  END AS "sla_complex_resolution__value",
  COALESCE("m0", 0) AS "sla_complex_resolution__numerator",
  COALESCE("m1", 0) AS "sla_complex_resolution__denominator",
  COALESCE("m1", 0) AS "sla_complex_resolution__sample_size"
FROM "combined"
ORDER BY
  "period"
