-- First and last request of the HTTP log (UTC); NULLs when it is empty.
SELECT min(ts), max(ts) FROM http_log;
