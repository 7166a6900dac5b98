-- The rows `perx load` put in the log, when it loaded one.
SELECT rows FROM load_manifest WHERE tbl = 'http_log';
