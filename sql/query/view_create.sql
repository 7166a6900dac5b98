-- The result filtered and sorted as the grid shows it. <where> is the user's predicate
-- (or the text search perx builds from the result's quoted column names), <order> a
-- quoted column name of the result and a direction.
CREATE OR REPLACE TABLE perx_scratch.view AS
SELECT * FROM perx_scratch.result
WHERE {where}
ORDER BY {order};
