-- Marks the sessions table complete for the data of this fingerprint ($1).
CREATE OR REPLACE TABLE http_log_session_meta AS SELECT CAST($1 AS VARCHAR) AS built_from;
