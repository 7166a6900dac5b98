-- The session browser's filter, put in place of the filter placeholder of sql/ui/session_*.sql.
-- $1 user id or NULL; $2 campaign id or NULL; $3 reward id or NULL; $4 driven only;
-- $5, $6 session start from (inclusive) and to (exclusive), UTC, or NULL.
($1 IS NULL OR user_id = $1)
  AND ($2 IS NULL OR campaigns_key LIKE '%,' || CAST($2 AS VARCHAR) || ',%')
  AND ($3 IS NULL OR rewards_key LIKE '%,' || CAST($3 AS VARCHAR) || ',%')
  AND (NOT $4 OR reward_driven)
  AND ($5 IS NULL OR session_start >= $5)
  AND ($6 IS NULL OR session_start < $6)
