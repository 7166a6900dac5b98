-- Writes the write-ahead log into the database file, so the file stands alone.
CHECKPOINT;
