-- BigQuery twin of sql/reports/engagement.sql (report A1). Keep the two in step.
-- Named parameters: @campaign_id INT64, @utc_from TIMESTAMP, @utc_to TIMESTAMP (exclusive),
-- @tz STRING (IANA), @status STRING or NULL, @by STRING ('date-hour' | 'hour-of-day' |
-- 'weekday-hour'). Tables are resolved in the query's default dataset.
WITH tx AS (
    SELECT DATETIME(rt.updated_at, @tz) AS local_ts
    FROM reward_transaction rt
    WHERE rt.reward_campaign_id IN (SELECT id FROM reward_campaign WHERE campaign_id = @campaign_id)
      AND rt.updated_at >= @utc_from
      AND rt.updated_at < @utc_to
      AND (@status IS NULL OR rt.status = @status)
),
buckets AS (
    SELECT
        IF(@by = 'date-hour', DATE(local_ts), NULL) AS bucket_date,
        -- ISO weekday 1 = Monday … 7 = Sunday (BigQuery's DAYOFWEEK is 1 = Sunday)
        IF(@by = 'weekday-hour', MOD(EXTRACT(DAYOFWEEK FROM local_ts) + 5, 7) + 1, NULL) AS iso_weekday,
        EXTRACT(HOUR FROM local_ts) AS hour,
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
