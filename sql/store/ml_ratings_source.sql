-- The ratings file the ml_rating table was last loaded from: identifies the data a model
-- was trained on.
SELECT source, sha256, rows FROM load_manifest WHERE tbl = 'ml_rating' ORDER BY loaded_at DESC LIMIT 1;
