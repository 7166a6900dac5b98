-- One user's requests for the reward recommender: when (µs), reward issue or campaign
-- view, and the id. $1 is the id as typed, $2 its number when $1 is that number's plain
-- spelling (else NULL): ids are matched as written (http_log's user_id), so "007" is not
-- user 7, and the common case compares numbers, not text.
SELECT epoch_us(d.ts) AS ts_us, d.is_reward, d.item_id
FROM http_log_data d
LEFT JOIN http_log_text t USING (line_no)
WHERE (d.user_num = $2 AND t.user_id_as_written IS NULL)
   OR t.user_id_as_written = $1
ORDER BY d.line_no;
