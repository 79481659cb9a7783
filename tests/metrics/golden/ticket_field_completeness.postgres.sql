-- ticket_field_completeness on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM("x0" * CAST("x1" AS INT)) AS "m0",
    SUM("x2" * CAST("x1" AS INT)) AS "m1",
    SUM(CAST("x1" AND "x3" AS INT)) AS "m2"
  FROM (
    SELECT
      CAST(DATE_TRUNC('WEEK', "t"."created_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
      LEAST(COALESCE("t"."mandatory_fields_filled", 0), "t"."mandatory_fields_total") AS "x0",
      "t"."mandatory_fields_total" > 0 AS "x1",
      "t"."mandatory_fields_total" AS "x2",
      NOT "t"."mandatory_fields_total" IS NULL AS "x3"
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
    THEN CAST(CAST(COALESCE("m0", 0) AS DOUBLE PRECISION) * 100.0 AS DOUBLE PRECISION) / COALESCE("m1", 0)
  END AS "ticket_field_completeness__value",
  COALESCE("m0", 0) AS "ticket_field_completeness__numerator",
  COALESCE("m1", 0) AS "ticket_field_completeness__denominator",
  COALESCE("m2", 0) AS "ticket_field_completeness__sample_size"
FROM "combined"
ORDER BY
  "period"
