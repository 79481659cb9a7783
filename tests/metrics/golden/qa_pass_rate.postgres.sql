-- qa_pass_rate on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM(CAST("x0" AND "x1" AS INT)) AS "m0",
    SUM(CAST("x0" AS INT)) AS "m1"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."offered_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      NOT "t"."score" IS NULL AS "x0",
      COALESCE("t"."passed", FALSE) AS "x1"
    FROM "inspection_results" AS "t"
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
  END AS "qa_pass_rate__value",
  COALESCE("m0", 0) AS "qa_pass_rate__numerator",
  COALESCE("m1", 0) AS "qa_pass_rate__denominator",
  COALESCE("m1", 0) AS "qa_pass_rate__sample_size"
FROM "combined"
ORDER BY
  "period"
