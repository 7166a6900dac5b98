-- Report A1: the most popular engagement day and hour of a campaign.
-- $1 campaign id; $2, $3 the UTC half-open interval [start, end) of the local date range
-- (computed in Rust with chrono-tz); $4 IANA zone of the buckets; $5 status filter or NULL;
-- $6 bucket: 'date-hour', 'hour-of-day' or 'weekday-hour'.
-- Every transaction of the campaign is an engagement, whatever its status. The semi-join
-- (IN) keeps a duplicated reward_campaign id from counting a transaction twice.
-- Output: dense rank by count (ties share a rank, never broken arbitrarily), sorted by
-- count desc, then bucket.
WITH tx AS (
    SELECT perx_local(rt.updated_at, $4) AS local_ts
    FROM reward_transaction rt
    WHERE rt.reward_campaign_id IN (SELECT id FROM reward_campaign WHERE campaign_id = $1)
      AND rt.updated_at >= $2
      AND rt.updated_at < $3
      AND ($5 IS NULL OR rt.status = $5)
),
buckets AS (
    SELECT
        CASE WHEN $6 = 'date-hour' THEN CAST(local_ts AS DATE) END AS bucket_date,
        CASE WHEN $6 = 'weekday-hour' THEN isodow(local_ts) END AS iso_weekday,
        hour(local_ts) AS hour,
        count(*) AS no_of_transactions
    FROM tx
    GROUP BY ALL
)
SELECT
    dense_rank() OVER (ORDER BY no_of_transactions DESC) AS rank,
    no_of_transactions,
    bucket_date,
    iso_weekday,
    hour
FROM buckets
ORDER BY no_of_transactions DESC, bucket_date, iso_weekday, hour;
