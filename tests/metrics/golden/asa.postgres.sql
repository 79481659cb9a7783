-- asa on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM("x0" * CAST("x1" AND "x2" AND "x3" AS INT)) AS "m0",
    COUNT(CASE WHEN "x1" AND "x2" AND "x3" THEN "x0" END) AS "m1",
    SUM(CAST("x1" AND "x2" AND "x3" AND "x4" AS INT)) AS "m2"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."offered_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      CAST(EXTRACT(EPOCH FROM (
        COALESCE("t"."answered_at", "t"."ended_at") - "t"."offered_at"
      )) AS DOUBLE PRECISION) AS "x0",
      COALESCE("t"."direction", 'inbound') = 'inbound' AS "x1",
      "t"."channel" IN ('phone') AS "x2",
      NOT "t"."answered_at" IS NULL AS "x3",
      NOT CAST(EXTRACT(EPOCH FROM (
        COALESCE("t"."answered_at", "t"."ended_at") - "t"."offered_at"
      )) AS DOUBLE PRECISION) IS NULL AS "x4"
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
  END AS "asa__value",
  COALESCE("m0", 0) AS "asa__numerator",
  COALESCE("m1", 0) AS "asa__denominator",
  COALESCE("m2", 0) AS "asa__sample_size"
FROM "combined"
ORDER BY
  "period"
