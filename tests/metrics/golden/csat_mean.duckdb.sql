-- csat_mean on duckdb, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM("x0") AS "m0",
    COUNT("x0") AS "m1",
    SUM(CAST("x1" AS INT)) AS "m2"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."sent_at" + INTERVAL '480' MINUTE) AS TIMESTAMP) AS "period",
      "t"."csat" AS "x0",
      NOT "t"."csat" IS NULL AS "x1"
    FROM "surveys" AS "t"
    WHERE
      "t"."sent_at" >= ? AND "t"."sent_at" < ?
  ) AS "r"
  GROUP BY
    "period"
)
SELECT
  "period",
  CASE
    WHEN COALESCE("m1", 0) <> 0
    THEN CAST(COALESCE("m0", 0) AS DOUBLE) / COALESCE("m1", 0)
  END AS "csat_mean__value",
  COALESCE("m0", 0) AS "csat_mean__numerator",
  COALESCE("m1", 0) AS "csat_mean__denominator",
  COALESCE("m2", 0) AS "csat_mean__sample_size"
FROM "combined"
ORDER BY
  "period"
