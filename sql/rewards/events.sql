-- Every request of the log for the reward recommender: the user (as a number, or as
-- written when that is not the number's plain spelling), when (µs), reward issue or
-- campaign view, and the reward or campaign id. Order does not matter to the model.
SELECT d.user_num, t.user_id_as_written, epoch_us(d.ts) AS ts_us, d.is_reward, d.item_id
FROM http_log_data d
LEFT JOIN http_log_text t USING (line_no);
