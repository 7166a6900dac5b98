-- Report B: user sessions of the HTTP log.
-- $1, $2 UTC half-open interval on session_start, or NULLs for all; $3 user id or NULL;
-- $4 true for reward-driven sessions only.
-- Rules (src/core/session.rs states the same in Rust): a user's events are ordered by time,
-- ties view before reward, then by id (then by line, for determinism); a gap of 300 s or
-- more starts a new session. A session is reward-driven when a reward R is issued at a
-- later timestamp than a view of a campaign C with (C, R) in the mapping, i.e. when the
-- first view of C is before the last issue of R. The mapping is de-duplicated first.
WITH ordered AS (
    SELECT user_id, ts, event_kind, item_id,
           row_number() OVER w AS seq,
           CASE WHEN ts - lag(ts) OVER w >= INTERVAL 300 SECOND THEN 1 ELSE 0 END AS starts_session
    FROM http_log
    WHERE $3 IS NULL OR user_id = $3
    WINDOW w AS (PARTITION BY user_id ORDER BY ts, event_kind = 'reward', item_id, line_no)
),
numbered AS (
    SELECT *, sum(starts_session) OVER (PARTITION BY user_id ORDER BY seq) AS session_no
    FROM ordered
),
items AS (
    -- each distinct item of a session, with when it was first and last seen
    SELECT user_id, session_no, event_kind, item_id,
           min(seq) AS first_seq, min(ts) AS first_ts, max(ts) AS last_ts
    FROM numbered
    GROUP BY ALL
),
sessions AS (
    SELECT user_id, session_no,
           min(first_ts) AS session_start, max(last_ts) AS session_end,
           coalesce(list(item_id ORDER BY first_seq) FILTER (WHERE event_kind = 'view'), [])
               AS campaigns,
           coalesce(list(item_id ORDER BY first_seq) FILTER (WHERE event_kind = 'reward'), [])
               AS rewards_issued
    FROM items
    GROUP BY ALL
),
counts AS (
    SELECT user_id, session_no, count(*) AS event_count
    FROM numbered
    GROUP BY ALL
),
mapping AS (
    SELECT DISTINCT campaign_id, reward_id FROM campaign_reward_mapping
),
driven AS (
    SELECT v.user_id, v.session_no,
           list(DISTINCT v.item_id ORDER BY v.item_id) AS driving_campaigns
    FROM items v
    JOIN mapping m ON m.campaign_id = v.item_id
    JOIN items r ON r.user_id = v.user_id AND r.session_no = v.session_no
                AND r.event_kind = 'reward' AND r.item_id = m.reward_id
    WHERE v.event_kind = 'view' AND v.first_ts < r.last_ts
    GROUP BY ALL
)
SELECT
    s.user_id,
    epoch_us(s.session_start) AS session_start_us,
    epoch_us(s.session_end) AS session_end_us,
    '[' || array_to_string(s.campaigns, ',') || ']' AS campaigns,
    '[' || array_to_string(s.rewards_issued, ',') || ']' AS rewards_issued,
    d.user_id IS NOT NULL AS reward_driven_by_campaign_view,
    c.event_count,
    '[' || array_to_string(coalesce(d.driving_campaigns, []), ',') || ']' AS driving_campaigns
FROM sessions s
JOIN counts c USING (user_id, session_no)
LEFT JOIN driven d USING (user_id, session_no)
WHERE ($1 IS NULL OR s.session_start >= $1)
  AND ($2 IS NULL OR s.session_start < $2)
  AND (NOT $4 OR d.user_id IS NOT NULL)
ORDER BY TRY_CAST(s.user_id AS HUGEINT), s.user_id, s.session_start;
