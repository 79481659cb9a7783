-- pseudo_satisfied_share on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM(CAST("x0" AND "x1" AS INT)) AS "m0",
    SUM(CAST("x0" AS INT)) AS "m1"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."sent_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      "t"."csat" >= 4 AS "x0",
      EXISTS(
        SELECT
          1
        FROM "inspection_feedback" AS "b"
        WHERE
          "b"."survey_id" = "t"."survey_id" AND "b"."negative"
      )
      OR EXISTS(
        SELECT
          1
        FROM "complaints" AS "c"
        WHERE
          "c"."interaction_id" = "t"."interaction_id"
      ) AS "x1"
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
    THEN CAST(CAST(COALESCE("m0", 0) AS DOUBLE PRECISION) * 100.0 AS DOUBLE PRECISION) / COALESCE("m1", 0)
  END AS "pseudo_satisfied_share__value",
  COALESCE("m0", 0) AS "pseudo_satisfied_share__numerator",
  COALESCE("m1", 0) AS "pseudo_satisfied_share__denominator",
  COALESCE("m1", 0) AS "pseudo_satisfied_share__sample_size"
FROM "combined"
ORDER BY
  "period"
