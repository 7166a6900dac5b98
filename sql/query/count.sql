-- Rows of <table> (perx_scratch.result, or the permutation perx_scratch.view).
SELECT count(*) FROM {table};
