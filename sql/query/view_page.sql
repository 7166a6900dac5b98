-- One page of the filtered or sorted view: positions $1 .. $1 + $2 - 1 of the permutation
-- (perx_scratch.view), joined to the result rows they name, in the view's order.
SELECT r.*
FROM (SELECT rowid AS k, src FROM perx_scratch.view WHERE rowid >= $1 AND rowid < $1 + $2) v
JOIN perx_scratch.result r ON r.rowid = v.src
ORDER BY v.k;
