-- Marks the session cache complete for the data of this fingerprint ($1).
CREATE OR REPLACE TABLE ui_session_cache_meta AS SELECT CAST($1 AS VARCHAR) AS built_from;
