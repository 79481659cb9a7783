-- schedule_adherence on duckdb, by week, 2026-01-01 … 2026-03-31 (Asia/Shanghai)
-- params: datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0), datetime.datetime(2025, 12, 31, 16, 0), datetime.datetime(2026, 3, 31, 16, 0)
WITH "combined" AS (
  SELECT
    "period",
    SUM("x0" * CAST("x1" AS INT)) AS "m0",
    SUM("x2" * CAST("x1" AS INT)) AS "m1",
    SUM(CAST("x1" AND "x3" AS INT)) AS "m2"
  FROM (
    SELECT
      "t"."period",
      "t"."x1",
      "t"."x2",
      "t"."x3",
      "t"."adherent_seconds" AS "x0"
    FROM (
      SELECT
        CAST(DATE_TRUNC('WEEK', "t"."starts_at" + INTERVAL '480' MINUTE) AS TIMESTAMP) AS "period",
        CAST(EXTRACT(EPOCH FROM (
          "t"."ends_at" - "t"."starts_at"
        )) AS DOUBLE) > 0 AS "x1",
        CAST(EXTRACT(EPOCH FROM (
          "t"."ends_at" - "t"."starts_at"
        )) AS DOUBLE) AS "x2",
        NOT CAST(EXTRACT(EPOCH FROM (
          "t"."ends_at" - "t"."starts_at"
        )) AS DOUBLE) IS NULL AS "x3",
        "t"."starts_at" >= ? AND "t"."starts_at" < ? AS "_keep",
        (
          SELECT
            COALESCE(
              SUM(
                GREATEST(
                  0,
                  CAST(EXTRACT(EPOCH FROM (
                    LEAST("s"."ended_at", "t"."ends_at") - GREATEST("s"."started_at", "t"."starts_at")
                  )) AS DOUBLE)
                )
              ),
              0
            )
          FROM "agent_states" AS "s"
          WHERE
            "s"."agent_id" = "t"."agent_id"
            AND "s"."started_at" < "t"."ends_at"
            AND "s"."ended_at" > "t"."starts_at"
            AND CASE
              WHEN "t"."activity" = 'work'
              THEN "s"."state" IN ('available', 'on_call', 'acw')
              WHEN "t"."activity" = 'break'
              THEN "s"."state" IN ('break')
              WHEN "t"."activity" = 'meeting'
              THEN "s"."state" IN ('meeting')
              WHEN "t"."activity" = 'training'
              THEN "s"."state" IN ('training')
              ELSE FALSE
            END
        ) AS "adherent_seconds"
      FROM "schedules" AS "t"
      WHERE
        "t"."starts_at" >= ? AND "t"."starts_at" < ?
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
  END AS "schedule_adherence__value",
  COALESCE("m0", 0) AS "schedule_adherence__numerator",
  COALESCE("m1", 0) AS "schedule_adherence__denominator",
  COALESCE("m2", 0) AS "schedule_adherence__sample_size"
FROM "combined"
ORDER BY
  "period"
