-- fcr on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0), datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    MAX("m0") AS "m0",
    MAX("m1") AS "m1"
  FROM (
    SELECT
      "period",
      SUM(CAST("x0" AND "x1" AND "x2" AND "x3" AND "x4" AND "x5" AS INT)) AS "m0",
      CAST(NULL AS DOUBLE PRECISION) AS "m1"
    FROM (
      SELECT
        "t"."period",
        "t"."x0",
        "t"."x1",
        "t"."x2",
        "t"."x3",
        "t"."x4",
        CAST(EXTRACT(EPOCH FROM (
          "t"."next_contact_at" - "t"."c_offered_at"
        )) AS DOUBLE PRECISION) IS NULL
        OR CAST(EXTRACT(EPOCH FROM (
          "t"."next_contact_at" - "t"."c_offered_at"
        )) AS DOUBLE PRECISION) > 7200 AS "x5"
      FROM (
        SELECT
          "t".*,
          LEAD("t"."next_contact_at_time") OVER (
            PARTITION BY "t"."next_contact_at_k0", "t"."next_contact_at_k1", "t"."next_contact_at_k2"
            ORDER BY "t"."next_contact_at_time", "t"."next_contact_at_tie" COLLATE "C"
          ) AS "next_contact_at"
        FROM (
          SELECT
            CAST(DATE_TRUNC('WEEK', "t"."offered_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
            COALESCE("t"."direction", 'inbound') = 'inbound' AS "x0",
            NOT "t"."answered_at" IS NULL AS "x1",
            NOT COALESCE("t"."handled_by_bot", FALSE) AS "x2",
            NOT "t"."customer_id" IS NULL AS "x3",
            NOT "t"."topic" IS NULL AS "x4",
            "t"."offered_at" >= ? AND "t"."offered_at" < ? AS "_keep",
            "t"."customer_id" AS "next_contact_at_k0",
            "t"."topic" AS "next_contact_at_k1",
            COALESCE("t"."direction", 'inbound') AS "next_contact_at_k2",
            "t"."offered_at" AS "next_contact_at_time",
            "t"."interaction_id" AS "next_contact_at_tie",
            "t"."offered_at" AS "c_offered_at"
          FROM "interactions" AS "t"
          WHERE
            "t"."offered_at" >= ?
        ) AS "t"
      ) AS "t"
      WHERE
        "t"."_keep"
    ) AS "r"
    GROUP BY
      "period"
    UNION ALL
    SELECT
      "period",
      CAST(NULL AS DOUBLE PRECISION) AS "m0",
      SUM(CAST("x0" AND "x1" AND "x2" AND "x3" AND "x4" AS INT)) AS "m1"
    FROM (
      SELECT
        CAST(DATE_TRUNC('WEEK', "t"."offered_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
        COALESCE("t"."direction", 'inbound') = 'inbound' AS "x0",
        NOT "t"."answered_at" IS NULL AS "x1",
        NOT COALESCE("t"."handled_by_bot", FALSE) AS "x2",
        NOT "t"."customer_id" IS NULL AS "x3",
        NOT "t"."topic" IS NULL AS "x4"
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
    THEN CAST(CAST(COALESCE("m0", 0) AS DOUBLE PRECISION) * 100.0 AS DOUBLE PRECISION) / COALESCE("m1", 0)
  END AS "fcr__value",
  COALESCE("m0", 0) AS "fcr__numerator",
  COALESCE("m1", 0) AS "fcr__denominator",
  COALESCE("m1", 0) AS "fcr__sample_size"
FROM "combined"
ORDER BY
  "period"
