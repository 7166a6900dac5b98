-- Every stored session matching the filter, in the browser's order: what the Sessions
-- tab exports and `perx report sessions` prints when the table is current. <table>,
-- <key_order> and the filter ($1..$6) as in session_page.sql.
SELECT user_id, session_start, session_end, campaigns, rewards_issued, reward_driven,
       event_count, duration_s, driving_campaigns
FROM {table}
WHERE {filter}
ORDER BY {key_order};
