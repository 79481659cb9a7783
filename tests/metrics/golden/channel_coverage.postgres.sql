-- channel_coverage on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    COUNT(DISTINCT CASE WHEN "x1" THEN "x0" END) AS "m0"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."offered_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      "t"."channel" AS "x0",
      COALESCE("t"."direction", 'inbound') = 'inbound' AS "x1"
    FROM "interactions" AS "t"
    WHERE
      "t"."offered_at" >= ? AND "t"."offered_at" < ?
  ) AS "r"
  GROUP BY
    "period"
)
SELECT
  "period",
  CASE WHEN COALESCE("m0", 0) > 0 THEN CAST("m0" AS DOUBLE PRECISION) END AS "channel_coverage__value",
  COALESCE("m0", 0) AS "channel_coverage__numerator",
  NULL AS "channel_coverage__denominator",
  COALESCE("m0", 0) AS "channel_coverage__sample_size"
FROM "combined"
ORDER BY
  "period"
