-- The requests of one session, in the sessionisation order.
SELECT ts, http_method, http_path, is_reward, item_id
FROM http_log
WHERE user_id = $1 AND ts >= $2 AND ts <= $3
ORDER BY ts, is_reward, item_id, line_no;
