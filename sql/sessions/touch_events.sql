-- The touched users' events inside their spans (sql/sessions/touch.sql), in the order of
-- sql/reports/session_events.sql, for the streaming sessioniser. Users are matched on their
-- number and the text of an id that is not its number's plain spelling, not on strings
-- built for every row. $1, $2: the whole span (a filter DuckDB checks against each row
-- group's bounds).
SELECT d.user_num, x.user_id_as_written, epoch_us(d.ts) AS ts_us, d.is_reward, d.item_id
FROM http_log_data d
LEFT JOIN http_log_text x USING (line_no)
JOIN session_touch t
  ON d.user_num IS NOT DISTINCT FROM t.user_num
 AND x.user_id_as_written IS NOT DISTINCT FROM t.user_id_as_written
 AND d.ts >= t.lo AND d.ts <= t.hi
WHERE d.ts >= $1 AND d.ts <= $2
ORDER BY coalesce(CAST(d.user_num AS HUGEINT), TRY_CAST(x.user_id_as_written AS HUGEINT)),
         CASE WHEN length(x.user_id_as_written) > 1 AND starts_with(x.user_id_as_written, '0')
              THEN 100 - length(x.user_id_as_written) ELSE 0 END,
         x.user_id_as_written,
         d.ts, d.is_reward, d.item_id;
