-- Forgets the rejects and manifest rows of whatever file last filled table $1, before a
-- load replaces that table (possibly from a file of another name).
DELETE FROM load_reject WHERE source IN (SELECT source FROM load_manifest WHERE tbl = $1);
DELETE FROM load_manifest WHERE tbl = $1;
