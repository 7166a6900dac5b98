-- Schema version 3: daily ingest (perx ingest). Log files are known by their content:
-- ingest_content holds what was taken of each (its head's and its taken text's SHA-256),
-- ingest_seen the on-disk files already read (so an unchanged rotated file, compressed or
-- not, is skipped after reading its first MiB), ingest_batch one row per ingest run and
-- ingest_range the byte and line ranges each run took from each file. http_log_data.line_no
-- of an ingested line is line_base + its line number in its file, unique in the database.
CREATE TABLE IF NOT EXISTS ingest_content (
    id          BIGINT    NOT NULL,
    head_sha    VARCHAR   NOT NULL,
    head_len    BIGINT    NOT NULL,
    text_len    BIGINT    NOT NULL,
    text_sha    VARCHAR   NOT NULL,
    lines       BIGINT    NOT NULL,
    first_path  VARCHAR   NOT NULL,
    last_path   VARCHAR   NOT NULL
);

CREATE TABLE IF NOT EXISTS ingest_seen (
    raw_size     BIGINT  NOT NULL,
    raw_head_sha VARCHAR NOT NULL,
    raw_tail_sha VARCHAR NOT NULL,
    content_id   BIGINT  NOT NULL
);

CREATE TABLE IF NOT EXISTS ingest_batch (
    id       BIGINT    NOT NULL,
    ran_at   TIMESTAMP NOT NULL,
    files    INTEGER   NOT NULL,
    lines    BIGINT    NOT NULL,
    rows     BIGINT    NOT NULL,
    rejected BIGINT    NOT NULL,
    min_ts   TIMESTAMP,
    max_ts   TIMESTAMP,
    seconds  DOUBLE    NOT NULL
);

CREATE TABLE IF NOT EXISTS ingest_range (
    batch_id   BIGINT  NOT NULL,
    content_id BIGINT  NOT NULL,
    path       VARCHAR NOT NULL,
    from_byte  BIGINT  NOT NULL,
    to_byte    BIGINT  NOT NULL,
    from_line  BIGINT  NOT NULL,
    to_line    BIGINT  NOT NULL,
    line_base  BIGINT  NOT NULL,
    rows       BIGINT  NOT NULL,
    rejected   BIGINT  NOT NULL,
    avro       VARCHAR
);

-- Where ingests read from (absolute paths; a directory with its file-name pattern), so the
-- TUI's Data tab can ingest what is new there (`i`).
CREATE TABLE IF NOT EXISTS ingest_place (
    path    VARCHAR NOT NULL,
    pattern VARCHAR
);
