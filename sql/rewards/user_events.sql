-- One user's requests for the reward recommender: when (µs), reward issue or campaign
-- view, and the id (then the line, for the order). $1 is the id as typed, $2 its number
-- when $1 is that number's plain spelling (else NULL): ids are matched as written
-- (http_log's user_id), so "007" is not user 7. A row has user_num exactly when its id is
-- a plain number (else its text is in http_log_text), so the two branches never meet, and
-- neither joins the whole log: the first is one filtered scan of a number column, the
-- second starts from the few rows of http_log_text.
SELECT epoch_us(ts) AS ts_us, is_reward, item_id, line_no
FROM http_log_data
WHERE user_num = $2
UNION ALL
SELECT epoch_us(d.ts), d.is_reward, d.item_id, d.line_no
FROM http_log_text t
JOIN http_log_data d USING (line_no)
WHERE t.user_id_as_written = $1
ORDER BY line_no;
