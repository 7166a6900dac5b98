-- The next free line_no of the log's tables: an ingested line is numbered from here on.
SELECT coalesce(max(line_no), 0) + 1 FROM http_log_data;
