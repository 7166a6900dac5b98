-- Rows of <table> (perx_scratch.result or .view).
SELECT count(*) FROM {table};
