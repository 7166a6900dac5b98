-- A page of the session browser after (or, with <cmp> < and <dir> DESC, before) a key.
-- <table> is the cache stored in the sort's order and <key> its key (n in
-- ui_session_cache, the report order; the rank k in the ui_session_by_* copies; one user's
-- sessions ranked on the fly), from the fixed lists in src/store/session_browse.rs. The
-- table being in key order, the top-N stops reading row groups once it has its page:
-- ~10 ms on 3.7 M sessions, against ~120 ms when the rows of a page are scattered through
-- the table. $1..$6: the filter (sql/ui/session_filter.sql); $7 the key; $8 how many.
SELECT n, user_id, session_start, session_end, campaigns, rewards_issued, reward_driven,
       event_count, duration_s, driving_campaigns, {key} AS k
FROM {table}
WHERE {filter}
  AND {key} {cmp} $7
ORDER BY {key} {dir}
LIMIT $8;
