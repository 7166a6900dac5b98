-- First and last reward transaction (UTC); NULLs when there are none.
SELECT min(updated_at), max(updated_at) FROM reward_transaction;
