-- One page of the grid: rows $1 .. $1 + $2 - 1 of the result, found by rowid, so the last
-- page costs what the first does.
SELECT * FROM perx_scratch.result WHERE rowid >= $1 AND rowid < $1 + $2 ORDER BY rowid;
