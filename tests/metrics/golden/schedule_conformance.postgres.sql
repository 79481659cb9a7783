-- schedule_conformance on postgres, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0), datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    MAX("m0") AS "m0",
    MAX("m1") AS "m1",
    MAX("m2") AS "m2"
  FROM (
    SELECT
      "period",
      SUM("x0" * CAST("x1" AND "x2" AS INT)) AS "m0",
      CAST(NULL AS DOUBLE PRECISION) AS "m1",
      CAST(NULL AS DOUBLE PRECISION) AS "m2"
    FROM (
      SELECT
        CAST(DATE_TRUNC('WEEK', "t"."started_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
        CAST(EXTRACT(EPOCH FROM (
          "t"."ended_at" - "t"."started_at"
        )) AS DOUBLE PRECISION) AS "x0",
        NOT "t"."state" IN ('offline', 'break') AS "x1",
        CAST(EXTRACT(EPOCH FROM (
          "t"."ended_at" - "t"."started_at"
        )) AS DOUBLE PRECISION) >= 0 AS "x2"
      FROM "agent_states" AS "t"
      WHERE
        "t"."started_at" >= ? AND "t"."started_at" < ?
    ) AS "r"
    GROUP BY
      "period"
    UNION ALL
    SELECT
      "period",
      CAST(NULL AS DOUBLE PRECISION) AS "m0",
      SUM("x0" * CAST("x1" AND "x2" AS INT)) AS "m1",
      SUM(CAST("x1" AND "x2" AND "x3" AS INT)) AS "m2"
    FROM (
      SELECT
        CAST(DATE_TRUNC('WEEK', "t"."starts_at" + INTERVAL '480 MINUTE') AS TIMESTAMP) AS "period",
        CAST(EXTRACT(EPOCH FROM (
          "t"."ends_at" - "t"."starts_at"
        )) AS DOUBLE PRECISION) AS "x0",
        COALESCE("t"."activity", 'work') <> 'break' AS "x1",
        CAST(EXTRACT(EPOCH FROM (
          "t"."ends_at" - "t"."starts_at"
        )) AS DOUBLE PRECISION) > 0 AS "x2",
        NOT CAST(EXTRACT(EPOCH FROM (
          "t"."ends_at" - "t"."starts_at"
        )) AS DOUBLE PRECISION) IS NULL AS "x3"
      FROM "schedules" AS "t"
      WHERE
        "t"."starts_at" >= ? AND "t"."starts_at" < ?
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
  END AS "schedule_conformance__value",
  COALESCE("m0", 0) AS "schedule_conformance__numerator",
  COALESCE("m1", 0) AS "schedule_conformance__denominator",
  COALESCE("m2", 0) AS "schedule_conformance__sample_size"
FROM "combined"
ORDER BY
  "period"
