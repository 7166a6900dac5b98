-- Report B: user sessions of the HTTP log, all in SQL. `perx report sessions` runs the
-- faster streaming pass over sql/reports/session_events.sql; this file is its SQL twin
-- (and the DuckDB twin of sql/bigquery/sessions.sql), tested to give the same rows.
-- $1, $2 UTC half-open interval on session_start, or NULLs for all; $3 user id or NULL;
-- $4 true for reward-driven sessions only.
-- Rules (src/core/session.rs states the same in Rust): a user's events are ordered by time,
-- ties view before reward, then by id (then by line, for determinism); a gap of 300 s or
-- more starts a new session. A session is reward-driven when a reward R is issued at a
-- later timestamp than a view of a campaign C with (C, R) in the mapping, i.e. when the
-- first view of C is before the last issue of R. The mapping is de-duplicated first.
-- Users are keyed by (user_num, user_id_as_written) (see sql/schema.sql): numbers, except
-- for ids that are not a plain u64, so partitioning and sorting stay cheap.
WITH ordered AS (
    SELECT user_num, user_id_as_written AS user_text, ts, is_reward, item_id,
           row_number() OVER w AS seq,
           CASE WHEN ts - lag(ts) OVER w >= INTERVAL 300 SECOND THEN 1 ELSE 0 END AS starts_session
    FROM http_log
    WHERE $3 IS NULL OR user_id = $3
    WINDOW w AS (PARTITION BY user_num, user_id_as_written ORDER BY ts, is_reward, item_id, line_no)
),
numbered AS (
    SELECT *, sum(starts_session) OVER (PARTITION BY user_num, user_text ORDER BY seq) AS session_no
    FROM ordered
),
items AS (
    -- each distinct item of a session: when it was first and last seen, how often
    SELECT user_num, user_text, session_no, is_reward, item_id,
           min(seq) AS first_seq, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS n
    FROM numbered
    GROUP BY ALL
),
sessions AS (
    SELECT user_num, user_text, session_no,
           min(first_ts) AS session_start, max(last_ts) AS session_end, sum(n) AS event_count,
           -- [first_seq, item_id] pairs sorted per session: much cheaper than an ordered
           -- aggregate (list(... ORDER BY ...)) over the whole log
           list_transform(list_sort(coalesce(list([first_seq, item_id]) FILTER (WHERE NOT is_reward), [])),
                          lambda x: x[2]) AS campaigns,
           list_transform(list_sort(coalesce(list([first_seq, item_id]) FILTER (WHERE is_reward), [])),
                          lambda x: x[2]) AS rewards_issued
    FROM items
    GROUP BY ALL
),
mapping AS (
    SELECT DISTINCT campaign_id, reward_id FROM campaign_reward_mapping
),
driven AS (
    SELECT v.user_num, v.user_text, v.session_no,
           list(DISTINCT v.item_id ORDER BY v.item_id) AS driving_campaigns
    FROM items v
    JOIN mapping m ON m.campaign_id = v.item_id
    JOIN items r ON r.user_num IS NOT DISTINCT FROM v.user_num
                AND r.user_text IS NOT DISTINCT FROM v.user_text
                AND r.session_no = v.session_no
                AND r.is_reward AND r.item_id = m.reward_id
    WHERE NOT v.is_reward AND v.first_ts < r.last_ts
    GROUP BY ALL
)
SELECT
    coalesce(s.user_text, CAST(s.user_num AS VARCHAR)) AS user_id,
    epoch_us(s.session_start) AS session_start_us,
    epoch_us(s.session_end) AS session_end_us,
    '[' || array_to_string(s.campaigns, ',') || ']' AS campaigns,
    '[' || array_to_string(s.rewards_issued, ',') || ']' AS rewards_issued,
    d.session_no IS NOT NULL AS reward_driven_by_campaign_view,
    s.event_count,
    '[' || array_to_string(coalesce(d.driving_campaigns, []), ',') || ']' AS driving_campaigns
FROM sessions s
LEFT JOIN driven d
       ON d.user_num IS NOT DISTINCT FROM s.user_num
      AND d.user_text IS NOT DISTINCT FROM s.user_text
      AND d.session_no = s.session_no
WHERE ($1 IS NULL OR s.session_start >= $1)
  AND ($2 IS NULL OR s.session_start < $2)
  AND (NOT $4 OR d.session_no IS NOT NULL)
ORDER BY coalesce(CAST(s.user_num AS HUGEINT), TRY_CAST(s.user_text AS HUGEINT)),
         coalesce(length(s.user_text) > 1 AND starts_with(s.user_text, '0'), false),
         s.user_text,
         s.session_start;
