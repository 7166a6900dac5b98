-- Schema version 2: MovieLens ratings, movies and users (for the recommender).
-- ts is NULL where the ratings file leaves the timestamp empty (unknown).
CREATE TABLE IF NOT EXISTS ml_rating (
    line_no  BIGINT    NOT NULL,
    user_id  INTEGER   NOT NULL,
    movie_id INTEGER   NOT NULL,
    rating   TINYINT   NOT NULL,
    ts       TIMESTAMP
);

-- genres: the genre names in file order.
CREATE TABLE IF NOT EXISTS ml_movie (
    line_no  BIGINT    NOT NULL,
    movie_id INTEGER   NOT NULL,
    title    VARCHAR   NOT NULL,
    genres   VARCHAR   NOT NULL  -- '|'-separated, as in the files (string_split(genres, '|'))
);

-- ML-1M codes age bands and occupations as numbers; ML-100K writes years and names.
CREATE TABLE IF NOT EXISTS ml_user (
    line_no    BIGINT  NOT NULL,
    user_id    INTEGER NOT NULL,
    gender     VARCHAR NOT NULL,
    age        INTEGER NOT NULL,
    occupation VARCHAR NOT NULL,
    zip        VARCHAR NOT NULL
);
