-- Every MovieLens user id the database knows: in ml_user or with a rating.
SELECT user_id FROM ml_user
UNION
SELECT DISTINCT user_id FROM ml_rating;
