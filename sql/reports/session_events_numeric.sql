-- The event stream of the sessions report when every user id is a plain u64 (the usual
-- case; see sql/reports/session_events.sql for the general one): sorting on the number
-- alone is much cheaper than on the general key. $1 user id or NULL for everyone.
SELECT user_num, user_id_as_written, epoch_us(ts) AS ts_us, is_reward, item_id
FROM http_log
WHERE $1 IS NULL OR user_id = $1
ORDER BY user_num, ts, is_reward, item_id;
