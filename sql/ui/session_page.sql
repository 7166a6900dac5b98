-- A page of the session browser after a key. $1 user id or NULL; $2 campaign id or NULL;
-- $3 reward id or NULL; $4 driven only; $5 sort (0 report order, 1 start, 2 most
-- requests, 3 longest); $6 the key to start after; $7 how many.
SELECT n, user_id, session_start, session_end, campaigns, rewards_issued, reward_driven,
       event_count, duration_s, driving_campaigns,
       CASE $5 WHEN 1 THEN r_start WHEN 2 THEN r_events WHEN 3 THEN r_duration ELSE n END AS k
FROM ui_session_cache
WHERE ($1 IS NULL OR user_id = $1)
  AND ($2 IS NULL OR campaigns_key LIKE '%,' || CAST($2 AS VARCHAR) || ',%')
  AND ($3 IS NULL OR rewards_key LIKE '%,' || CAST($3 AS VARCHAR) || ',%')
  AND (NOT $4 OR reward_driven)
  AND CASE $5 WHEN 1 THEN r_start WHEN 2 THEN r_events WHEN 3 THEN r_duration ELSE n END > $6
ORDER BY k
LIMIT $7;
