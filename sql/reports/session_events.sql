-- The event stream of the sessions report: every request, sorted the way the streaming
-- pass (src/core/session.rs, Sessionizer) needs it: by user (numerically; spellings with
-- leading zeros after the plain one), then time, view before reward, id. (Events equal in
-- all of these are interchangeable for the report, so no further tie-break is needed.)
-- $1 user id or NULL for everyone.
SELECT user_num, user_id_as_written, epoch_us(ts) AS ts_us, is_reward, item_id
FROM http_log
WHERE $1 IS NULL OR user_id = $1
-- Spellings of one number differ only in leading zeros, and more zeros sort first as text,
-- so an integer (0 for the plain id, 100 - length otherwise) orders them without putting a
-- string in the sort key.
ORDER BY coalesce(CAST(user_num AS HUGEINT), TRY_CAST(user_id_as_written AS HUGEINT)),
         CASE WHEN length(user_id_as_written) > 1 AND starts_with(user_id_as_written, '0')
              THEN 100 - length(user_id_as_written) ELSE 0 END,
         ts, is_reward, item_id;
