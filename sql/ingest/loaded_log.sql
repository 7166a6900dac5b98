-- The log `perx load` loaded (its load_reject source), if any.
SELECT source FROM load_manifest WHERE tbl = 'http_log';
