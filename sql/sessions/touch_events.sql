-- The touched users' events inside their spans (sql/sessions/touch.sql), in the order of
-- sql/reports/session_events.sql, for the streaming sessioniser. $1, $2: the whole span
-- (a filter DuckDB can check against each row group's bounds).
SELECT l.user_num, l.user_id_as_written, epoch_us(l.ts) AS ts_us, l.is_reward, l.item_id
FROM http_log l
JOIN session_touch t ON l.user_id = t.user_id AND l.ts >= t.lo AND l.ts <= t.hi
WHERE l.ts >= $1 AND l.ts <= $2
ORDER BY coalesce(CAST(l.user_num AS HUGEINT), TRY_CAST(l.user_id_as_written AS HUGEINT)),
         CASE WHEN length(l.user_id_as_written) > 1 AND starts_with(l.user_id_as_written, '0')
              THEN 100 - length(l.user_id_as_written) ELSE 0 END,
         l.user_id_as_written,
         l.ts, l.is_reward, l.item_id;
