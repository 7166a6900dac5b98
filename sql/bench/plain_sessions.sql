-- The baseline of `perx bench sessions`: what an analyst might write by hand in DuckDB to
-- sessionise the log (5-minute gap, lists of ids, no reward attribution), written to CSV.
-- {out} is replaced by the output path.
COPY (
    SELECT user_id, min(ts) AS session_start, max(ts) AS session_end, count(*) AS events,
           list(DISTINCT item_id) FILTER (WHERE event_kind = 'view') AS campaigns,
           list(DISTINCT item_id) FILTER (WHERE event_kind = 'reward') AS rewards
    FROM (
        SELECT *, sum(new_session) OVER (PARTITION BY user_id ORDER BY ts, line_no) AS session_no
        FROM (
            SELECT *, CASE WHEN ts - lag(ts) OVER (PARTITION BY user_id ORDER BY ts, line_no)
                           >= INTERVAL 5 MINUTE THEN 1 ELSE 0 END AS new_session
            FROM http_log
        )
    )
    GROUP BY user_id, session_no
    ORDER BY user_id, session_start
) TO '{out}' (HEADER, DELIMITER ',');
