-- 1 when the user id appears in ml_user or ml_rating.
SELECT (EXISTS (SELECT 1 FROM ml_user WHERE user_id = $1)
     OR EXISTS (SELECT 1 FROM ml_rating WHERE user_id = $1))::INTEGER;
