-- perx store, schema version 1.
-- Applied by src/store/mod.rs when a database is opened at version 0; later versions add
-- files to sql/migrations/ and never edit this one.
--
-- Every instant is a UTC TIMESTAMP (microseconds). Time-zone conversion happens in Rust
-- (chrono-tz), never in SQL: DuckDB's ICU extension is not available offline.
-- Every loaded table carries line_no, the 1-based line of the row in its source file, so
-- every input line ends either in a table or in load_reject.

CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER   NOT NULL,
    applied_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- campaign.csv. The real export has `Id,name,status`; the exercise names (id, name,
-- updated_at): columns absent from a file are NULL.
CREATE TABLE IF NOT EXISTS campaign (
    line_no     BIGINT    NOT NULL,
    id          BIGINT    NOT NULL,
    name        VARCHAR   NOT NULL,
    status      VARCHAR,
    updated_at  TIMESTAMP
);

-- reward_campaign.csv: one row per reward of a campaign.
CREATE TABLE IF NOT EXISTS reward_campaign (
    line_no     BIGINT    NOT NULL,
    id          BIGINT    NOT NULL,
    reward_name VARCHAR   NOT NULL,
    updated_at  TIMESTAMP,
    campaign_id BIGINT    NOT NULL
);

-- reward_transaction.csv: every status is kept; reports filter.
CREATE TABLE IF NOT EXISTS reward_transaction (
    line_no            BIGINT    NOT NULL,
    id                 BIGINT    NOT NULL,
    status             VARCHAR   NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    reward_campaign_id BIGINT    NOT NULL
);

-- campaign_reward_mapping.csv, rows kept exactly as loaded, duplicates included (the
-- real file has 3,043 rows but 1,761 distinct pairs). Reports that ask "does campaign C
-- contain reward R" use SELECT DISTINCT campaign_id, reward_id (see the report SQL), so
-- duplicate rows never multiply counts.
CREATE TABLE IF NOT EXISTS campaign_reward_mapping (
    line_no     BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    reward_id   BIGINT NOT NULL
);

-- The HTTP log, loaded from its Avro form. Queries use the view http_log:
--   line_no, ts, http_method, http_path, user_id, event_kind, item_id (+ storage columns)
-- where item_id is the campaign id of a view and the reward id of a reward issue.
-- A valid line is either `GET /campaigns/<digits>` or `POST /rewards/<digits>` with a user id
-- of digits, so most of its text is determined by numbers, and the table stores numbers:
-- http_method and event_kind follow from is_reward; http_path is the canonical path of
-- item_id unless it was written otherwise (leading zeros); user_id is user_num unless it
-- does not fit a u64 or has leading zeros. The *_as_written columns hold the text only in
-- those rare cases (in the side table http_log_text), so the view gives every value back
-- exactly as written while the load and the sessions report work on numbers only. (A view,
-- not generated columns: DuckDB evaluates generated columns on every append.)
CREATE TABLE IF NOT EXISTS http_log_data (
    line_no   BIGINT    NOT NULL,
    ts        TIMESTAMP NOT NULL,
    item_id   BIGINT    NOT NULL,
    is_reward BOOLEAN   NOT NULL,
    user_num  UBIGINT
);

-- The written text of the rare lines whose user id or path is not the plain spelling of
-- its number (one row per such line; the other column is NULL when it is plain).
CREATE TABLE IF NOT EXISTS http_log_text (
    line_no            BIGINT NOT NULL,
    user_id_as_written VARCHAR,
    path_as_written    VARCHAR
);

CREATE OR REPLACE VIEW http_log AS
SELECT
    d.line_no,
    d.ts,
    CASE WHEN d.is_reward THEN 'POST' ELSE 'GET' END AS http_method,
    coalesce(t.path_as_written,
             CASE WHEN d.is_reward THEN '/rewards/' ELSE '/campaigns/' END || d.item_id) AS http_path,
    coalesce(t.user_id_as_written, CAST(d.user_num AS VARCHAR)) AS user_id,
    CASE WHEN d.is_reward THEN 'reward' ELSE 'view' END AS event_kind,
    d.item_id,
    d.is_reward,
    d.user_num,
    t.user_id_as_written,
    t.path_as_written
FROM http_log_data d
LEFT JOIN http_log_text t USING (line_no);

-- Lines that were not loaded, with why. source is the file name (e.g. http_log.txt).
CREATE TABLE IF NOT EXISTS load_reject (
    source  VARCHAR NOT NULL,
    line_no BIGINT  NOT NULL,
    reason  VARCHAR NOT NULL,
    raw     VARCHAR
);

-- Rows that were loaded but break an integrity rule (dangling foreign key, duplicate id),
-- recomputed over the whole database after every load by sql/load/checks.sql.
CREATE TABLE IF NOT EXISTS load_warning (
    source  VARCHAR NOT NULL,
    line_no BIGINT  NOT NULL,
    problem VARCHAR NOT NULL
);

-- One row per source file last loaded.
CREATE TABLE IF NOT EXISTS load_manifest (
    source     VARCHAR   NOT NULL,
    tbl        VARCHAR   NOT NULL,
    path       VARCHAR   NOT NULL,
    sha256     VARCHAR   NOT NULL,
    rows       BIGINT    NOT NULL,
    rejected   BIGINT    NOT NULL,
    loaded_at  TIMESTAMP NOT NULL,
    seconds    DOUBLE    NOT NULL
);
