-- Every request of the log for the reward recommender: the user (as a number, or as
-- written when that is not the number's plain spelling), when (µs), reward issue or
-- campaign view, and the reward or campaign id. In a fixed order (user, time, line), so
-- that users are numbered and summed alike on every read, and a log holding only the lines
-- before a cut-off gives the same events as the whole log read up to it.
SELECT d.user_num, t.user_id_as_written, epoch_us(d.ts) AS ts_us, d.is_reward, d.item_id
FROM http_log_data d
LEFT JOIN http_log_text t USING (line_no)
ORDER BY d.user_num, t.user_id_as_written NULLS FIRST, d.ts, d.line_no;
