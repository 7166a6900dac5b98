-- Whether the sessions table and its mark exist (2 when both do).
SELECT count(*) FROM duckdb_tables()
WHERE table_name IN ('http_log_session', 'http_log_session_meta');
