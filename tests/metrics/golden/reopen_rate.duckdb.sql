-- reopen_rate on duckdb, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM(CAST("x0" AND "x1" AS INT)) AS "m0",
    SUM(CAST("x0" AS INT)) AS "m1"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."created_at" + INTERVAL '480' MINUTE) AS TIMESTAMP) AS "period",
      NOT "t"."resolved_at" IS NULL OR NOT "t"."closed_at" IS NULL AS "x0",
      COALESCE("t"."reopen_count", 0) > 0 AS "x1"
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
    THEN CAST(COALESCE("m0", 0) AS DOUBLE) * 100.0 / COALESCE("m1", 0)
  END AS "reopen_rate__value",
  COALESCE("m0", 0) AS "reopen_rate__numerator",
  COALESCE("m1", 0) AS "reopen_rate__denominator",
  COALESCE("m1", 0) AS "reopen_rate__sample_size"
FROM "combined"
ORDER BY
  "period"
