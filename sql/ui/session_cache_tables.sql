-- Whether the session cache and its mark exist (2 when both do).
SELECT count(*) FROM duckdb_tables()
WHERE table_name IN ('ui_session_cache', 'ui_session_cache_meta');
