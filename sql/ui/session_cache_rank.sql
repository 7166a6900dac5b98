-- Step 2: one rank column per sort order, so that every page, in any order, is a
-- keyset read (`WHERE key > last ORDER BY key LIMIT`): a scan and a small top-N, never
-- a full sort or a deep OFFSET.
CREATE OR REPLACE TABLE ui_session_cache AS
SELECT *,
       row_number() OVER (ORDER BY session_start, n) AS r_start,
       row_number() OVER (ORDER BY event_count DESC, n) AS r_events,
       row_number() OVER (ORDER BY duration_s DESC, n) AS r_duration
FROM ui_session_raw
ORDER BY n;
DROP TABLE ui_session_raw;
