-- Forgets the manifest row of whatever file last filled table $1.
DELETE FROM load_manifest WHERE tbl = $1;
