-- A page of the session browser before a key, nearest first (as session_page.sql; $7 is
-- the key to end before).
SELECT n, user_id, session_start, session_end, campaigns, rewards_issued, reward_driven,
       event_count, duration_s, driving_campaigns, {key} AS k
FROM {table}
WHERE ($1 IS NULL OR user_id = $1)
  AND ($2 IS NULL OR campaigns_key LIKE '%,' || CAST($2 AS VARCHAR) || ',%')
  AND ($3 IS NULL OR rewards_key LIKE '%,' || CAST($3 AS VARCHAR) || ',%')
  AND (NOT $4 OR reward_driven)
  AND ($5 IS NULL OR session_start >= $5)
  AND ($6 IS NULL OR session_start < $6)
  AND {key} < $7
ORDER BY {key} DESC
LIMIT $8;
