-- BigQuery twin of sql/reports/sessions.sql (report B). Keep the two in step.
-- Named parameters (written without their @ here, as emulators count them in comments too): utc_from TIMESTAMP or NULL, utc_to TIMESTAMP or NULL (exclusive, on
-- session_start), user_id STRING or NULL, driven_only BOOL.
-- Gaps are measured with TIMESTAMP_DIFF in MICROSECOND (exact; HOUR/DAY round).
-- http_log is the Avro file of the log as loaded (schemas/http_log.avsc): the event kind
-- and item id are read from the method and path here.
-- Each parameter is named once, in p (emulators that map names to positions need it).
WITH p AS (
    SELECT @utc_from AS utc_from, @utc_to AS utc_to, @user_id AS only_user,
           @driven_only AS driven_only
),
log AS (
    SELECT l.line_no, l.`timestamp` AS ts, l.user_id,
           IF(l.http_method = 'POST', 'reward', 'view') AS event_kind,
           CAST(SPLIT(l.http_path, '/')[OFFSET(2)] AS INT64) AS item_id
    FROM {dataset}.http_log l CROSS JOIN p
    WHERE p.only_user IS NULL OR l.user_id = p.only_user
),
ordered AS (
    SELECT user_id, ts, event_kind, item_id,
           ROW_NUMBER() OVER w AS seq,
           IF(TIMESTAMP_DIFF(ts, LAG(ts) OVER w, MICROSECOND) >= 300000000, 1, 0) AS starts_session
    FROM log
    WINDOW w AS (PARTITION BY user_id ORDER BY ts, event_kind = 'reward', item_id, line_no)
),
numbered AS (
    SELECT *, SUM(starts_session) OVER (PARTITION BY user_id ORDER BY seq) AS session_no
    FROM ordered
),
items AS (
    SELECT user_id, session_no, event_kind, item_id,
           MIN(seq) AS first_seq, MIN(ts) AS first_ts, MAX(ts) AS last_ts
    FROM numbered
    GROUP BY user_id, session_no, event_kind, item_id
),
sessions AS (
    SELECT user_id, session_no,
           MIN(first_ts) AS session_start, MAX(last_ts) AS session_end,
           ARRAY_AGG(IF(event_kind = 'view', item_id, NULL) IGNORE NULLS ORDER BY first_seq) AS campaigns,
           ARRAY_AGG(IF(event_kind = 'reward', item_id, NULL) IGNORE NULLS ORDER BY first_seq) AS rewards_issued
    FROM items
    GROUP BY user_id, session_no
),
counts AS (
    SELECT user_id, session_no, COUNT(*) AS event_count
    FROM numbered
    GROUP BY user_id, session_no
),
mapping AS (
    SELECT DISTINCT campaign_id, reward_id FROM {dataset}.campaign_reward_mapping
),
driven AS (
    SELECT v.user_id, v.session_no,
           ARRAY_AGG(DISTINCT v.item_id ORDER BY v.item_id) AS driving_campaigns
    FROM items v
    JOIN mapping m ON m.campaign_id = v.item_id
    JOIN items r ON r.user_id = v.user_id AND r.session_no = v.session_no
                AND r.event_kind = 'reward' AND r.item_id = m.reward_id
    WHERE v.event_kind = 'view' AND v.first_ts < r.last_ts
    GROUP BY v.user_id, v.session_no
)
SELECT
    s.user_id,
    UNIX_MICROS(s.session_start) AS session_start_us,
    UNIX_MICROS(s.session_end) AS session_end_us,
    CONCAT('[', ARRAY_TO_STRING(ARRAY(SELECT CAST(x AS STRING) FROM UNNEST(s.campaigns) x WITH OFFSET o ORDER BY o), ','), ']') AS campaigns,
    CONCAT('[', ARRAY_TO_STRING(ARRAY(SELECT CAST(x AS STRING) FROM UNNEST(s.rewards_issued) x WITH OFFSET o ORDER BY o), ','), ']') AS rewards_issued,
    d.user_id IS NOT NULL AS reward_driven_by_campaign_view,
    c.event_count,
    CONCAT('[', ARRAY_TO_STRING(ARRAY(SELECT CAST(x AS STRING) FROM UNNEST(IFNULL(d.driving_campaigns, [])) x WITH OFFSET o ORDER BY o), ','), ']') AS driving_campaigns
FROM sessions s
JOIN counts c ON c.user_id = s.user_id AND c.session_no = s.session_no
LEFT JOIN driven d ON d.user_id = s.user_id AND d.session_no = s.session_no
CROSS JOIN p
WHERE (p.utc_from IS NULL OR s.session_start >= p.utc_from)
  AND (p.utc_to IS NULL OR s.session_start < p.utc_to)
  AND (NOT p.driven_only OR d.user_id IS NOT NULL)
-- users numerically; spellings with leading zeros after the plain one, in text order
ORDER BY SAFE_CAST(s.user_id AS BIGNUMERIC),
         IF(LENGTH(s.user_id) > 1 AND STARTS_WITH(s.user_id, '0'), s.user_id, NULL) NULLS FIRST,
         s.session_start;
