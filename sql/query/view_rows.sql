-- Every row of the filtered or sorted view, in its order (export, frequency tables).
SELECT r.*
FROM perx_scratch.view v
JOIN perx_scratch.result r ON r.rowid = v.src
ORDER BY v.rowid
