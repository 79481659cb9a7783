-- service_level on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM(CAST("x0" AND "x1" AND "x2" AND "x3" AND "x4" AS INT)) AS "m0",
    SUM(CAST("x0" AND "x1" AND "x2" AS INT)) AS "m1"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."offered_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      COALESCE("t"."direction", 'inbound') = 'inbound' AS "x0",
      "t"."channel" IN ('phone') AS "x1",
      NOT COALESCE("t"."abandoned", FALSE)
      OR CAST(EXTRACT(EPOCH FROM (
        COALESCE("t"."answered_at", "t"."ended_at") - "t"."offered_at"
      )) AS DOUBLE PRECISION) IS NULL
      OR CAST(EXTRACT(EPOCH FROM (
        COALESCE("t"."answered_at", "t"."ended_at") - "t"."offered_at"
      )) AS DOUBLE PRECISION) >= 5 AS "x2",
      NOT "t"."answered_at" IS NULL AS "x3",
      CAST(EXTRACT(EPOCH FROM (
        COALESCE("t"."answered_at", "t"."ended_at") - "t"."offered_at"
      )) AS DOUBLE PRECISION) <= 20 AS "x4"
    FROM "interactions" AS "t"
    WHERE
      "t"."offered_at" >= ? AND "t"."offered_at" < ?
  ) AS "r"
  GROUP BY
    "period"
)
SELECT
  "period",
  CASE
    WHEN COALESCE("m1", 0) <> 0
    THEN CAST(CAST(COALESCE("m0", 0) AS DOUBLE PRECISION) * 100.0 AS DOUBLE PRECISION) / COALESCE("m1", 0)
  END AS "service_level__value",
  COALESCE("m0", 0) AS "service_level__numerator",
  COALESCE("m1", 0) AS "service_level__denominator",
  COALESCE("m1", 0) AS "service_level__sample_size"
FROM "combined"
ORDER BY
  "period"
