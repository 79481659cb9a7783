-- complainer_repurchase_rate on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0), datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    COUNT(DISTINCT CASE WHEN "x1" AND "x2" THEN "x0" END) AS "m0",
    COUNT(DISTINCT CASE WHEN "x1" THEN "x0" END) AS "m1"
  FROM (
    SELECT
      "t"."period",
      "t"."x0",
      "t"."x1",
      CAST(EXTRACT(EPOCH FROM (
        "t"."next_order_at" - "t"."c_created_at"
      )) AS DOUBLE PRECISION) <= 7776000 AS "x2"
    FROM (
      SELECT
        CAST(DATE_TRUNC('WEEK', "t"."created_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
        "t"."customer_id" AS "x0",
        NOT "t"."customer_id" IS NULL AS "x1",
        "t"."created_at" >= ? AND "t"."created_at" < ? AS "_keep",
        (
          SELECT
            MIN("o"."ordered_at")
          FROM "orders" AS "o"
          WHERE
            "o"."customer_id" = "t"."customer_id"
            AND "o"."ordered_at" > "t"."created_at"
            AND COALESCE("o"."status", 'paid') <> 'cancelled'
        ) AS "next_order_at",
        "t"."created_at" AS "c_created_at"
      FROM "complaints" AS "t"
      WHERE
        "t"."created_at" >= ? AND "t"."created_at" < ?
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
    THEN CAST(CAST(COALESCE("m0", 0) AS DOUBLE PRECISION) * 100.0 AS DOUBLE PRECISION) / COALESCE("m1", 0)
  END AS "complainer_repurchase_rate__value",
  COALESCE("m0", 0) AS "complainer_repurchase_rate__numerator",
  COALESCE("m1", 0) AS "complainer_repurchase_rate__denominator",
  COALESCE("m1", 0) AS "complainer_repurchase_rate__sample_size"
FROM "combined"
ORDER BY
  "period"
