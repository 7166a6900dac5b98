-- Every cached session matching the filter, in the browser's order: what the Sessions
-- tab exports. <table>, <key> and the filter ($1..$6) as in session_page.sql.
SELECT user_id, session_start, session_end, campaigns, rewards_issued, reward_driven,
       event_count, duration_s, driving_campaigns
FROM {table}
WHERE {filter}
ORDER BY {key};
