-- attrition on duckdb, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 29, 0, 0), datetime.datetime(2025, 12, 29, 0, 0), datetime.datetime(2026, 1, 5, 0, 0), datetime.datetime(2026, 1, 5, 0, 0), datetime.datetime(2026, 1, 5, 0, 0), datetime.datetime(2026, 1, 12, 0, 0), datetime.datetime(2026, 1, 12, 0, 0), datetime.datetime(2026, 1, 12, 0, 0), datetime.datetime(2026, 1, 19, 0, 0), datetime.datetime(2026, 1, 19, 0, 0), datetime.datetime(2026, 1, 19, 0, 0), datetime.datetime(2026, 1, 26, 0, 0), datetime.datetime(2026, 1, 26, 0, 0), datetime.datetime(2026, 1, 26, 0, 0), datetime.datetime(2026, 2, 2, 0, 0), datetime.datetime(2026, 2, 2, 0, 0), datetime.datetime(2026, 2, 2, 0, 0), datetime.datetime(2026, 2, 9, 0, 0), datetime.datetime(2026, 2, 9, 0, 0), datetime.datetime(2026, 2, 9, 0, 0), datetime.datetime(2026, 2, 16, 0, 0), datetime.datetime(2026, 2, 16, 0, 0), datetime.datetime(2026, 2, 16, 0, 0), datetime.datetime(2026, 2, 23, 0, 0), datetime.datetime(2026, 2, 23, 0, 0), datetime.datetime(2026, 2, 23, 0, 0), datetime.datetime(2026, 3, 2, 0, 0), datetime.datetime(2026, 3, 2, 0, 0), datetime.datetime(2026, 3, 2, 0, 0), datetime.datetime(2026, 3, 9, 0, 0), datetime.datetime(2026, 3, 9, 0, 0), datetime.datetime(2026, 3, 9, 0, 0), datetime.datetime(2026, 3, 16, 0, 0), datetime.datetime(2026, 3, 16, 0, 0), datetime.datetime(2026, 3, 16, 0, 0), datetime.datetime(2026, 3, 23, 0, 0), datetime.datetime(2026, 3, 23, 0, 0), datetime.datetime(2026, 3, 23, 0, 0), datetime.datetime(2026, 3, 30, 0, 0), datetime.datetime(2026, 3, 30, 0, 0), datetime.datetime(2026, 3, 30, 0, 0), datetime.datetime(2026, 4, 6, 0, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM(CAST("x0" AND "x1" AS INT)) AS "m0",
    COUNT(1) AS "m1"
  FROM (
    SELECT
      "p"."period" AS "period",
      "t"."left_on" >= "p"."period_start" AS "x0",
      "t"."left_on" < "p"."period_end" AS "x1"
    FROM "agents" AS "t"
    INNER JOIN (VALUES
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      ),
      (
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP),
        CAST(? AS TIMESTAMP)
      )) AS "p"("period", "period_start", "period_end")
      ON (
        "t"."hired_on" IS NULL OR "t"."hired_on" < "p"."period_end"
      )
      AND (
        "t"."left_on" IS NULL OR "t"."left_on" >= "p"."period_start"
      )
  ) AS "r"
  GROUP BY
    "period"
)
SELECT
  "period",
  CASE
    WHEN COALESCE("m1", 0) <> 0
    THEN CAST(COALESCE("m0", 0) AS DOUBLE) * 100.0 / COALESCE("m1", 0)
  END AS "attrition__value",
  COALESCE("m0", 0) AS "attrition__numerator",
  COALESCE("m1", 0) AS "attrition__denominator",
  COALESCE("m1", 0) AS "attrition__sample_size"
FROM "combined"
ORDER BY
  "period"
