-- The sessions report materialised for the TUI's session browser: the appender fills
-- ui_session_cache in the report's order (n), so pages in that order, and one user's
-- sessions, are read from a few row groups. The *_key columns wrap id lists in commas
-- (",3,11,") so a filter on one id is a LIKE. The mark and the copies in other sort orders
-- of an earlier cache go first.
DROP TABLE IF EXISTS ui_session_cache_meta;
DROP TABLE IF EXISTS ui_session_by_start;
DROP TABLE IF EXISTS ui_session_by_events;
DROP TABLE IF EXISTS ui_session_by_duration;
CREATE OR REPLACE TABLE ui_session_cache (
    n                 BIGINT    NOT NULL,
    user_id           VARCHAR   NOT NULL,
    session_start     TIMESTAMP NOT NULL,
    session_end       TIMESTAMP NOT NULL,
    campaigns         VARCHAR   NOT NULL,
    rewards_issued    VARCHAR   NOT NULL,
    reward_driven     BOOLEAN   NOT NULL,
    event_count       BIGINT    NOT NULL,
    duration_s        DOUBLE    NOT NULL,
    driving_campaigns VARCHAR   NOT NULL,
    campaigns_key     VARCHAR   NOT NULL,
    rewards_key       VARCHAR   NOT NULL
);
