-- The distinct (campaign, reward) pairs of the mapping: duplicate rows never count twice.
SELECT DISTINCT campaign_id, reward_id FROM campaign_reward_mapping;
