-- The most recent statements first, at most $1; a statement run several times once.
SELECT sql FROM ui_query_history
GROUP BY sql
ORDER BY max(run_at) DESC, max(rowid) DESC
LIMIT $1;
