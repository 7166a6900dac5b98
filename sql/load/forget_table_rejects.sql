-- Forgets the rejects of whatever file last filled table $1, before a load replaces that
-- table (possibly from a file of another name). Runs before forget_table_manifest.sql.
DELETE FROM load_reject WHERE source IN (SELECT source FROM load_manifest WHERE tbl = $1);
