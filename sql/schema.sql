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

-- The HTTP log, loaded from its Avro form. event_kind and item_id are derived from
-- http_method/http_path at load: item_id is the campaign id of a view, the reward id of a
-- reward issue. user_id is kept as written (digits, leading zeros kept).
CREATE TABLE IF NOT EXISTS http_log (
    line_no     BIGINT    NOT NULL,
    ts          TIMESTAMP NOT NULL,
    http_method VARCHAR   NOT NULL,
    http_path   VARCHAR   NOT NULL,
    user_id     VARCHAR   NOT NULL,
    event_kind  VARCHAR   NOT NULL,
    item_id     BIGINT    NOT NULL
);

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
