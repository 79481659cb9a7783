-- repurchase_rate on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    COUNT(DISTINCT CASE WHEN "x1" AND "x2" AND "x3" THEN "x0" END) AS "m0",
    COUNT(DISTINCT CASE WHEN "x1" AND "x2" THEN "x0" END) AS "m1"
  FROM (
    SELECT
      "t"."period",
      "t"."x0",
      "t"."x1",
      "t"."x2",
      CAST(EXTRACT(EPOCH FROM (
        "t"."c_ordered_at" - "t"."previous_order_at"
      )) AS DOUBLE PRECISION) <= 31536000 AS "x3"
    FROM (
      SELECT
        "t".*,
        LAG("t"."previous_order_at_time") OVER (
          PARTITION BY "t"."previous_order_at_k0", "t"."previous_order_at_k1"
          ORDER BY "t"."previous_order_at_time", "t"."previous_order_at_tie" COLLATE "C"
        ) AS "previous_order_at"
      FROM (
        SELECT
          CAST(DATE_TRUNC('WEEK', "t"."ordered_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
          "t"."customer_id" AS "x0",
          NOT "t"."customer_id" IS NULL AS "x1",
          COALESCE("t"."status", 'paid') <> 'cancelled' AS "x2",
          "t"."ordered_at" >= ? AND "t"."ordered_at" < ? AS "_keep",
          "t"."customer_id" AS "previous_order_at_k0",
          COALESCE("t"."status", 'paid') = 'cancelled' AS "previous_order_at_k1",
          "t"."ordered_at" AS "previous_order_at_time",
          "t"."order_id" AS "previous_order_at_tie",
          "t"."ordered_at" AS "c_ordered_at"
        FROM "orders" AS "t"
        WHERE
          "t"."ordered_at" < ?
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
    THEN CAST(CAST(COALESCE("m0", 0) AS DOUBLE PRECISION) * 100.0 AS DOUBLE PRECISION) / COALESCE("m1", 0)
  END AS "repurchase_rate__value",
  COALESCE("m0", 0) AS "repurchase_rate__numerator",
  COALESCE("m1", 0) AS "repurchase_rate__denominator",
  COALESCE("m1", 0) AS "repurchase_rate__sample_size"
FROM "combined"
ORDER BY
  "period"
