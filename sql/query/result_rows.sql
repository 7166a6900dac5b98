-- The whole stored result in its own order (the Query tab's export of an unsorted,
-- unfiltered view).
SELECT * FROM perx_scratch.result ORDER BY rowid
