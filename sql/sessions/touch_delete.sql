-- Removes the stored sessions inside the touched spans (they are sessionised again).
DELETE FROM http_log_session s
USING session_touch t
WHERE s.user_id = t.user_id AND s.session_start >= t.lo AND s.session_end <= t.hi;
