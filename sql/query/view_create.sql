-- The grid's view of the result, filtered and sorted, as a permutation: the rowids of the
-- result's rows in the order shown (sorting a key and a rowid is far cheaper than sorting
-- whole rows). <where> is the user's predicate (or the text search perx builds from the
-- result's quoted column names), <order> a quoted column name and a direction.
CREATE OR REPLACE TABLE perx_scratch.view AS
SELECT rowid AS src FROM perx_scratch.result
WHERE {where}
ORDER BY {order};
