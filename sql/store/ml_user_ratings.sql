-- One user's ratings, best first.
SELECT movie_id, rating FROM ml_rating WHERE user_id = $1 ORDER BY rating DESC, movie_id;
