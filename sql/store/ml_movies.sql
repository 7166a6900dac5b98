SELECT movie_id, title, genres FROM ml_movie ORDER BY movie_id;
