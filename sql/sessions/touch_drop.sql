DROP TABLE IF EXISTS session_touch;
