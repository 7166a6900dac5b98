-- One page of the grid: rows $1 .. $1 + $2 - 1 of <table> (perx_scratch.result or .view),
-- found by rowid, so the last page costs what the first does.
SELECT * FROM {table} WHERE rowid >= $1 AND rowid < $1 + $2 ORDER BY rowid;
