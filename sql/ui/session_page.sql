-- A page of the session browser after a key. {key} is the sort's rank column and {table}
-- the copy of the cache stored in that order, from a fixed list in
-- src/store/session_browse.rs (n in ui_session_cache: report order; r_start, r_events,
-- r_duration in ui_session_by_*). The table being in key order, the top-N stops reading
-- row groups once it has its page: ~10 ms on 3.7 M sessions, against ~120 ms when the
-- rows of a page are scattered through the table.
-- $1 user id or NULL; $2 campaign id or NULL; $3 reward id or NULL; $4 driven only;
-- $5, $6 session start from (inclusive) and to (exclusive), UTC, or NULL;
-- $7 the key to start after; $8 how many.
SELECT n, user_id, session_start, session_end, campaigns, rewards_issued, reward_driven,
       event_count, duration_s, driving_campaigns, {key} AS k
FROM {table}
WHERE ($1 IS NULL OR user_id = $1)
  AND ($2 IS NULL OR campaigns_key LIKE '%,' || CAST($2 AS VARCHAR) || ',%')
  AND ($3 IS NULL OR rewards_key LIKE '%,' || CAST($3 AS VARCHAR) || ',%')
  AND (NOT $4 OR reward_driven)
  AND ($5 IS NULL OR session_start >= $5)
  AND ($6 IS NULL OR session_start < $6)
  AND {key} > $7
ORDER BY {key}
LIMIT $8;
