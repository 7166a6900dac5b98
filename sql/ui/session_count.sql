-- How many cached sessions match the filter ($1..$6, as in session_page.sql).
SELECT count(*)
FROM {table}
WHERE {filter};
