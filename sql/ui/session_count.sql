-- How many cached sessions match the filter and, of those, how many sort before key $6
-- (same parameters as session_page.sql).
SELECT count(*),
       count(*) FILTER (WHERE CASE $5 WHEN 1 THEN r_start WHEN 2 THEN r_events
                                      WHEN 3 THEN r_duration ELSE n END < $6)
FROM ui_session_cache
WHERE ($1 IS NULL OR user_id = $1)
  AND ($2 IS NULL OR campaigns_key LIKE '%,' || CAST($2 AS VARCHAR) || ',%')
  AND ($3 IS NULL OR rewards_key LIKE '%,' || CAST($3 AS VARCHAR) || ',%')
  AND (NOT $4 OR reward_driven);
