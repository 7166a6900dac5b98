-- BigQuery twin of sql/reports/engagement.sql (report A1). Keep the two in step.
-- Named parameters (written without their @ here, as emulators count them in comments too): campaign_id INT64, utc_from TIMESTAMP, utc_to TIMESTAMP (exclusive),
-- tz STRING (IANA), status STRING or NULL, by STRING ('date-hour' | 'hour-of-day' |
-- 'weekday-hour'). {dataset} is replaced by `project`.dataset (checked names) before the query runs.
-- The scalar parameters are gathered in p.
WITH p AS (
    SELECT @campaign_id AS campaign_id, @utc_from AS utc_from, @utc_to AS utc_to,
           @status AS status, @by AS bucket_by
),
-- Local date, hour and weekday through DATE(ts, tz) and EXTRACT(… AT TIME ZONE tz):
-- DATETIME(ts, tz) with a parameter is misread by some emulators.
tx AS (
    SELECT DATE(rt.updated_at, @tz) AS local_date,
           EXTRACT(HOUR FROM rt.updated_at AT TIME ZONE @tz) AS local_hour,
           EXTRACT(DAYOFWEEK FROM rt.updated_at AT TIME ZONE @tz) AS local_dow,
           p.bucket_by
    FROM {dataset}.reward_transaction rt CROSS JOIN p
    WHERE rt.reward_campaign_id IN (SELECT rc.id FROM {dataset}.reward_campaign rc CROSS JOIN p p2
                                    WHERE rc.campaign_id = p2.campaign_id)
      AND rt.updated_at >= p.utc_from
      AND rt.updated_at < p.utc_to
      AND (p.status IS NULL OR rt.status = p.status)
),
buckets AS (
    SELECT
        IF(bucket_by = 'date-hour', local_date, NULL) AS bucket_date,
        -- ISO weekday 1 = Monday … 7 = Sunday (BigQuery's DAYOFWEEK is 1 = Sunday)
        IF(bucket_by = 'weekday-hour', MOD(local_dow + 5, 7) + 1, NULL) AS iso_weekday,
        local_hour AS hour,
        COUNT(*) AS no_of_transactions
    FROM tx
    GROUP BY bucket_date, iso_weekday, hour
)
SELECT
    DENSE_RANK() OVER (ORDER BY no_of_transactions DESC) AS rank,
    no_of_transactions,
    bucket_date,
    iso_weekday,
    hour
FROM buckets
ORDER BY no_of_transactions DESC, bucket_date, iso_weekday, hour;
