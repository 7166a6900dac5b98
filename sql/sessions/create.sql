-- The sessions table: the sessions report kept in the database, which the Sessions tab,
-- `perx report sessions` and the server read. A load fills it in the report's order
-- (src/store/sessions.rs); an ingest replaces the sessions its new lines touch and appends
-- them. (user_num, spelled, user_id, session_start) is the report's order and each
-- session's key: user_num the id's number, spelled whether it is written with leading
-- zeros. The *_key columns wrap id lists in commas (",3,11,") so a filter on one id is a
-- LIKE. The mark, the copies in other sort orders and the tables of older perx versions go
-- first.
DROP TABLE IF EXISTS http_log_session_meta;
DROP TABLE IF EXISTS http_log_session_by_start;
DROP TABLE IF EXISTS http_log_session_by_events;
DROP TABLE IF EXISTS http_log_session_by_duration;
DROP TABLE IF EXISTS ui_session_cache_meta;
DROP TABLE IF EXISTS ui_session_by_start;
DROP TABLE IF EXISTS ui_session_by_events;
DROP TABLE IF EXISTS ui_session_by_duration;
DROP TABLE IF EXISTS ui_session_cache;
CREATE OR REPLACE TABLE http_log_session (
    user_num          DECIMAL(38, 0) NOT NULL,
    spelled           BOOLEAN   NOT NULL,
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
