-- The event stream of the sessions report when every user id is a plain u64 (the usual
-- case; see sql/reports/session_events.sql for the general one): it reads the numbers
-- straight from http_log_data and sorts on the number alone, much cheaper than the
-- general key. $1 user id or NULL for everyone (only its plain spelling can match here).
SELECT user_num, NULL::VARCHAR AS user_id_as_written, epoch_us(ts) AS ts_us, is_reward, item_id
FROM http_log_data
WHERE $1 IS NULL
   OR (user_num = TRY_CAST($1 AS UBIGINT) AND CAST(TRY_CAST($1 AS UBIGINT) AS VARCHAR) = $1)
ORDER BY user_num, ts, is_reward, item_id;
