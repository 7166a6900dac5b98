-- The whole span the touched users' events lie in, and how many stored sessions are
-- replaced: the span bounds the scan of the log (row groups outside it are skipped).
SELECT min(lo), max(hi), coalesce(sum(stored), 0), count(*) FROM session_touch;
