-- Who rated what, and the stars (the model weighs a pair by stars^p).
SELECT user_id, movie_id, rating FROM ml_rating;
