-- Every statement the console ran: when, the SQL, how long, the rows or the error.
CREATE TABLE IF NOT EXISTS ui_query_history (
    run_at      TIMESTAMP NOT NULL,
    sql         VARCHAR NOT NULL,
    duration_ms DOUBLE NOT NULL,
    row_count   BIGINT,
    error       VARCHAR
);
