-- How many requests have a user id that is not a plain u64 (kept as text).
SELECT count(*) FROM http_log_text WHERE user_id_as_written IS NOT NULL;
