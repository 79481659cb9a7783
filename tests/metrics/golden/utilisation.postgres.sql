-- utilisation on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM("x0" * CAST("x1" AND "x2" AS INT)) AS "m0",
    SUM("x0" * CAST("x1" AND "x3" AS INT)) AS "m1",
    SUM(CAST("x1" AND "x3" AND "x4" AS INT)) AS "m2"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."started_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      CAST(EXTRACT(EPOCH FROM (
        "t"."ended_at" - "t"."started_at"
      )) AS DOUBLE PRECISION) AS "x0",
      CAST(EXTRACT(EPOCH FROM (
        "t"."ended_at" - "t"."started_at"
      )) AS DOUBLE PRECISION) >= 0 AS "x1",
      "t"."state" IN ('on_call', 'acw') AS "x2",
      "t"."state" <> 'offline' AS "x3",
      NOT CAST(EXTRACT(EPOCH FROM (
        "t"."ended_at" - "t"."started_at"
      )) AS DOUBLE PRECISION) IS NULL AS "x4"
    FROM "agent_states" AS "t"
    WHERE
      "t"."started_at" >= ? AND "t"."started_at" < ?
  ) AS "r"
  GROUP BY
    "period"
)
SELECT
  "period",
  CASE
    WHEN COALESCE("m1", 0) <> 0
    THEN CAST(CAST(COALESCE("m0", 0) AS DOUBLE PRECISION) * 100.0 AS DOUBLE PRECISION) / COALESCE("m1", 0)
  END AS "utilisation__value",
  COALESCE("m0", 0) AS "utilisation__numerator",
  COALESCE("m1", 0) AS "utilisation__denominator",
  COALESCE("m2", 0) AS "utilisation__sample_size"
FROM "combined"
ORDER BY
  "period"
