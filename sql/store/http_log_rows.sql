-- The first rows of the log in file order, as users see them (virtual columns included).
SELECT line_no, epoch_us(ts), http_method, http_path, user_id, event_kind, item_id
FROM http_log
ORDER BY line_no
LIMIT $1;
