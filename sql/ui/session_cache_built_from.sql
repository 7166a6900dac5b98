-- The fingerprint the session cache was built from, when the cache is complete (it is
-- written last, after the appends).
SELECT built_from FROM ui_session_cache_meta;
