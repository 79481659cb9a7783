-- first_response_time on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM("x0" * CAST("x1" AND "x2" AS INT)) AS "m0",
    COUNT(CASE WHEN "x1" AND "x2" THEN "x0" END) AS "m1",
    SUM(CAST("x1" AND "x2" AND "x3" AS INT)) AS "m2"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."offered_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      "t"."first_response_seconds" AS "x0",
      COALESCE("t"."direction", 'inbound') = 'inbound' AS "x1",
      "t"."channel" IN ('chat', 'social') AS "x2",
      NOT "t"."first_response_seconds" IS NULL AS "x3"
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
    THEN CAST(COALESCE("m0", 0) AS DOUBLE PRECISION) / COALESCE("m1", 0)
  END AS "first_response_time__value",
  COALESCE("m0", 0) AS "first_response_time__numerator",
  COALESCE("m1", 0) AS "first_response_time__denominator",
  COALESCE("m2", 0) AS "first_response_time__sample_size"
FROM "combined"
ORDER BY
  "period"
