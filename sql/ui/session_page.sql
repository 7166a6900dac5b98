-- A page of the session browser after a key. {table} is the cache stored in the sort's
-- order and {key} its key (n in ui_session_cache, the report order; the rank k in the
-- ui_session_by_* copies; one user's sessions ranked on the fly), from the fixed lists in
-- src/store/session_browse.rs. The table being in key order, the top-N stops reading row
-- groups once it has its page: ~10 ms on 3.7 M sessions, against ~120 ms when the rows of
-- a page are scattered through the table.
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
