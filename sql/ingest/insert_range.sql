-- What batch $1 took from content $2 read as file $3: bytes $4..$5, lines $6..$7 of the
-- file, numbered line_base $8 + line; $9 rows kept, $10 rejected; $11 its Avro file.
INSERT INTO ingest_range VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);
