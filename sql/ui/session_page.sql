-- A page of the session browser after (or, reading backwards, before) a key. <table> is
-- the sessions table in the sort's order (http_log_session itself for the report's order;
-- the ranked copies http_log_session_by_*, or one user's sessions ranked on the fly);
-- <after> the condition on the key columns ((user_num, spelled, user_id, session_start)
-- compared as a row, or the rank k) with the key from $7; <page_order> those columns
-- ascending, or descending when reading backwards; <rank> the rank column (NULL in the
-- report's order); <limit> the page size's parameter. All from the fixed lists in
-- src/store/session_browse.rs. $1..$6: the filter (sql/ui/session_filter.sql).
SELECT user_id, session_start, session_end, campaigns, rewards_issued, reward_driven,
       event_count, duration_s, driving_campaigns, {rank} AS k
FROM {table}
WHERE {filter}
  AND {after}
ORDER BY {page_order}
LIMIT {limit};
