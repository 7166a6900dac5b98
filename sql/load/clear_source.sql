-- Forgets what an earlier load of one source file left behind.
DELETE FROM load_reject WHERE source = $1;
