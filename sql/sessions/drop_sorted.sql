-- The copies of the sessions table in other sort orders: an ingest drops them (they are
-- made again when next asked for).
DROP TABLE IF EXISTS http_log_session_by_start;
DROP TABLE IF EXISTS http_log_session_by_events;
DROP TABLE IF EXISTS http_log_session_by_duration;
