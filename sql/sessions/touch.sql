-- The users an ingest's new lines (line_no >= $1) belong to, each with the span of the
-- log to sessionise again: from their new events' first to last, widened to every stored
-- session those events could join (one that ends less than the gap, 300 s, before the
-- first or starts less than the gap after the last; the bounds here are inclusive, a
-- superset). Sessions do not overlap, so the stored sessions inside a span are exactly the
-- ones it was widened by, and the ones outside stay as they are. A user is their number
-- and their id's text when it is not the number's plain spelling (as in http_log_data and
-- http_log_text), so the log is joined on numbers; the id as written joins the sessions.
CREATE OR REPLACE TEMP TABLE session_touch AS
WITH fresh AS (
    SELECT user_num, user_id_as_written, min(ts) AS lo, max(ts) AS hi
    FROM http_log
    WHERE line_no >= $1
    GROUP BY user_num, user_id_as_written
), named AS (
    SELECT *, coalesce(user_id_as_written, CAST(user_num AS VARCHAR)) AS user_id
    FROM fresh
)
SELECT f.user_num, f.user_id_as_written, f.user_id,
       least(f.lo, coalesce(min(s.session_start), f.lo)) AS lo,
       greatest(f.hi, coalesce(max(s.session_end), f.hi)) AS hi,
       count(s.session_start) AS stored
FROM named f
LEFT JOIN http_log_session s
       ON s.user_id = f.user_id
      AND s.session_end >= f.lo - INTERVAL 300 SECOND
      AND s.session_start <= f.hi + INTERVAL 300 SECOND
GROUP BY f.user_num, f.user_id_as_written, f.user_id, f.lo, f.hi;
