-- ticket_resolution_p50 on duckdb, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    QUANTILE_CONT(CASE WHEN "x1" THEN "x0" END, 0.5
    ORDER BY
      CASE WHEN "x1" THEN "x0" END) AS "m0",
    SUM(CAST("x1" AND "x2" AS INT)) AS "m1"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."created_at" + INTERVAL '480' MINUTE) AS TIMESTAMP) AS "period",
      CAST(EXTRACT(EPOCH FROM (
        "t"."resolved_at" - "t"."created_at"
      )) AS DOUBLE) AS "x0",
      CAST(EXTRACT(EPOCH FROM (
        "t"."resolved_at" - "t"."created_at"
      )) AS DOUBLE) >= 0 AS "x1",
      NOT CAST(EXTRACT(EPOCH FROM (
        "t"."resolved_at" - "t"."created_at"
      )) AS DOUBLE) IS NULL AS "x2"
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
    WHEN COALESCE("m1", 0) > 0
    THEN CAST("m0" AS DOUBLE) * 0.000277777777777778
  END AS "ticket_resolution_p50__value",
  NULL AS "ticket_resolution_p50__numerator",
  NULL AS "ticket_resolution_p50__denominator",
  COALESCE("m1", 0) AS "ticket_resolution_p50__sample_size"
FROM "combined"
ORDER BY
  "period"
