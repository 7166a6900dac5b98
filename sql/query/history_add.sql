-- One run of the console: when (UTC, from perx), the SQL, milliseconds, rows or error.
INSERT INTO ui_query_history VALUES ($1, $2, $3, $4, $5);
