-- Where ingests read from: absolute paths, a directory's with its file-name pattern.
SELECT DISTINCT path, pattern FROM ingest_place ORDER BY path, pattern;
