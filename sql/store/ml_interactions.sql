-- Who rated what (the rating value is not used by the recommender).
SELECT user_id, movie_id FROM ml_rating;
