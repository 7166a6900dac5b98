-- Each reward id's name, from the reward_campaign export (the first by name when an id
-- has several rows): what the TUI writes beside a reward id.
SELECT id, min(reward_name) AS reward_name
FROM reward_campaign
WHERE id IS NOT NULL AND reward_name IS NOT NULL
GROUP BY id;
