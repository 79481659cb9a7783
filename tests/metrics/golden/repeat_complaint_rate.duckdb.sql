-- repeat_complaint_rate on duckdb, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM(CAST("x0" AND "x1" AND "x2" AS INT)) AS "m0",
    COUNT(1) AS "m1"
  FROM (
    SELECT
      "t"."period",
      "t"."x0",
      "t"."x1",
      CAST(EXTRACT(EPOCH FROM (
        "t"."c_created_at" - "t"."previous_complaint_at"
      )) AS DOUBLE) <= 2592000 AS "x2"
    FROM (
      SELECT
        "t".*,
        LAG("t"."previous_complaint_at_time") OVER (
          PARTITION BY "t"."previous_complaint_at_key"
          ORDER BY "t"."previous_complaint_at_time", "t"."previous_complaint_at_tie"
        ) AS "previous_complaint_at"
      FROM (
        SELECT
          CAST(DATE_TRUNC('WEEK', "t"."created_at" + INTERVAL '480' MINUTE) AS TIMESTAMP) AS "period",
          NOT "t"."customer_id" IS NULL AS "x0",
          NOT "t"."category" IS NULL AS "x1",
          "t"."created_at" >= ? AND "t"."created_at" < ? AS "_keep",
          HASH("t"."customer_id", "t"."category") AS "previous_complaint_at_key",
          "t"."created_at" AS "previous_complaint_at_time",
          HASH("t"."complaint_id") AS "previous_complaint_at_tie",
          "t"."created_at" AS "c_created_at"
        FROM "complaints" AS "t"
        WHERE
          "t"."created_at" < ?
      ) AS "t"
    ) AS "t"
    WHERE
      "t"."_keep"
  ) AS "r"
  GROUP BY
    "period"
)
SELECT
  "period",
  CASE
    WHEN COALESCE("m1", 0) <> 0
    THEN CAST(COALESCE("m0", 0) AS DOUBLE) * 100.0 / COALESCE("m1", 0)
  END AS "repeat_complaint_rate__value",
  COALESCE("m0", 0) AS "repeat_complaint_rate__numerator",
  COALESCE("m1", 0) AS "repeat_complaint_rate__denominator",
  COALESCE("m1", 0) AS "repeat_complaint_rate__sample_size"
FROM "combined"
ORDER BY
  "period"
