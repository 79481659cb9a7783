-- ticket_close_process on duckdb, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM(CAST("x0" AND "x1" AND "x2" AS INT)) AS "m0",
    SUM(CAST("x0" AS INT)) AS "m1"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."created_at" + INTERVAL '480' MINUTE) AS TIMESTAMP) AS "period",
      NOT "t"."closed_at" IS NULL AS "x0",
      NOT "t"."resolved_at" IS NULL AS "x1",
      "t"."resolved_at" <= "t"."closed_at" AS "x2"
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
  END AS "ticket_close_process__value",
  COALESCE("m0", 0) AS "ticket_close_process__numerator",
  COALESCE("m1", 0) AS "ticket_close_process__denominator",
  COALESCE("m1", 0) AS "ticket_close_process__sample_size"
FROM "combined"
ORDER BY
  "period"
