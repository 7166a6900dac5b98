DELETE FROM load_manifest WHERE source = $1;
