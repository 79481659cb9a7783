-- complaint_rate on duckdb, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0), datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    MAX("m0") AS "m0",
    MAX("m1") AS "m1"
  FROM (
    SELECT
      "period",
      COUNT(1) AS "m0",
      CAST(NULL AS DOUBLE) AS "m1"
    FROM (
      SELECT
        CAST(DATE_TRUNC('WEEK', "t"."created_at" + INTERVAL '480' MINUTE) AS TIMESTAMP) AS "period"
      FROM "complaints" AS "t"
      WHERE
        "t"."created_at" >= ? AND "t"."created_at" < ?
    ) AS "r"
    GROUP BY
      "period"
    UNION ALL
    SELECT
      "period",
      CAST(NULL AS DOUBLE) AS "m0",
      SUM(CAST("x0" AS INT)) AS "m1"
    FROM (
      SELECT
        CAST(DATE_TRUNC('WEEK', "t"."offered_at" + INTERVAL '480' MINUTE) AS TIMESTAMP) AS "period",
        COALESCE("t"."direction", 'inbound') = 'inbound' AS "x0"
      FROM "interactions" AS "t"
      WHERE
        "t"."offered_at" >= ? AND "t"."offered_at" < ?
    ) AS "r"
    GROUP BY
      "period"
  ) AS "u"
  GROUP BY
    "period"
)
SELECT
  "period",
  CASE
    WHEN COALESCE("m1", 0) <> 0
    THEN CAST(COALESCE("m0", 0) AS DOUBLE) * 1000.0 / COALESCE("m1", 0)
  END AS "complaint_rate__value",
  COALESCE("m0", 0) AS "complaint_rate__numerator",
  COALESCE("m1", 0) AS "complaint_rate__denominator",
  COALESCE("m1", 0) AS "complaint_rate__sample_size"
FROM "combined"
ORDER BY
  "period"
