//! Lines of the MovieLens files (1M: `::`-separated `.dat`; 100K: `u.data`, `u.item`,
//! `u.user`), parsed into ratings, movies and users.
//!
//! Pure: takes one line, returns a value or the reason it is malformed. The movie files are
//! latin-1; [`latin1`] decodes them exactly (every byte is one character).

use std::fmt;

/// One rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    /// The user.
    pub user_id: u32,
    /// The movie.
    pub movie_id: u32,
    /// 1 to 5 stars.
    pub stars: u8,
    /// Seconds since the epoch (UTC); `None` when the field is empty (unknown).
    pub ts: Option<i64>,
}

/// One movie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movie {
    /// The movie id.
    pub movie_id: u32,
    /// Title with year, e.g. `Toy Story (1995)`.
    pub title: String,
    /// Genre names, in file order.
    pub genres: Vec<String>,
}

/// One user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user id.
    pub user_id: u32,
    /// `M` or `F`.
    pub gender: String,
    /// Age (1M: the start of an age band, e.g. 25 for 25-34; 100K: years).
    pub age: u32,
    /// Occupation (1M: a code 0-20, as text; 100K: a name).
    pub occupation: String,
    /// Zip code as written.
    pub zip: String,
}

/// Why a line is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlReject(pub String);

impl fmt::Display for MlReject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn reject<T>(msg: impl Into<String>) -> Result<T, MlReject> {
    Err(MlReject(msg.into()))
}

/// Decodes latin-1 bytes exactly.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn fields<'a>(line: &'a str, sep: &str, n: usize, what: &str) -> Result<Vec<&'a str>, MlReject> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let parts: Vec<&str> = line.split(sep).collect();
    if parts.len() != n {
        return reject(format!(
            "expected {n} fields ({what}) separated by {sep:?}, found {}",
            parts.len()
        ));
    }
    Ok(parts)
}

/// The largest id: the tables store ids as 32-bit signed integers.
pub const MAX_ID: u32 = i32::MAX as u32;

fn id(s: &str, name: &str) -> Result<u32, MlReject> {
    match s.parse::<u32>() {
        Ok(v) if v > 0 && v <= MAX_ID => Ok(v),
        _ => reject(format!(
            "{name} {s:?} is not a positive integer up to {MAX_ID}"
        )),
    }
}

fn rating(parts: &[&str]) -> Result<Rating, MlReject> {
    let stars = match parts[2].parse::<u8>() {
        Ok(r @ 1..=5) => r,
        _ => return reject(format!("rating {:?} is not 1 to 5", parts[2])),
    };
    let ts = match parts[3] {
        "" => None,
        t => {
            let secs = t
                .parse::<i64>()
                .or_else(|_| reject(format!("timestamp {t:?} is not a number of seconds")))?;
            let in_range = secs
                .checked_mul(1_000_000)
                .and_then(super::timestamp::from_micros)
                .is_some();
            if !in_range {
                return reject(format!(
                    "timestamp {t:?} is outside the accepted {}",
                    super::timestamp::RANGE_TEXT
                ));
            }
            Some(secs)
        }
    };
    Ok(Rating {
        user_id: id(parts[0], "user id")?,
        movie_id: id(parts[1], "movie id")?,
        stars,
        ts,
    })
}

/// A MovieLens user id as someone typed it (the CLI's `--user`, the API's path).
pub fn parse_user_id(user: &str) -> Result<u32, String> {
    user.trim().parse().map_err(|_| {
        format!("{user:?} is not a MovieLens user id (a number from 1 to 6040 in MovieLens 1M)")
    })
}

/// `UserID::MovieID::Rating::Timestamp` (ML-1M); an empty timestamp means unknown.
pub fn parse_ml1m_rating(line: &str) -> Result<Rating, MlReject> {
    rating(&fields(
        line,
        "::",
        4,
        "UserID::MovieID::Rating::Timestamp",
    )?)
}

/// `user id \t item id \t rating \t timestamp` (ML-100K `u.data`).
pub fn parse_ml100k_rating(line: &str) -> Result<Rating, MlReject> {
    rating(&fields(line, "\t", 4, "user, item, rating, timestamp")?)
}

/// `MovieID::Title::Genres` (ML-1M, after latin-1 decoding), genres `|`-separated.
pub fn parse_ml1m_movie(line: &str) -> Result<Movie, MlReject> {
    let p = fields(line, "::", 3, "MovieID::Title::Genres")?;
    if p[1].is_empty() {
        return reject("title is empty");
    }
    Ok(Movie {
        movie_id: id(p[0], "movie id")?,
        title: p[1].to_owned(),
        genres: p[2]
            .split('|')
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// The genres of ML-100K's `u.item` flags, in column order (as in `u.genre`).
pub const ML100K_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

/// `movie id | title | release date | video release date | IMDb URL | 19 genre flags`
/// (ML-100K `u.item`, after latin-1 decoding).
pub fn parse_ml100k_item(line: &str) -> Result<Movie, MlReject> {
    let p = fields(line, "|", 24, "id|title|dates|url|19 genre flags")?;
    let mut genres = Vec::new();
    for (flag, name) in p[5..].iter().zip(ML100K_GENRES) {
        match *flag {
            "1" => genres.push(name.to_owned()),
            "0" => {}
            other => return reject(format!("genre flag for {name} is {other:?}, not 0 or 1")),
        }
    }
    Ok(Movie {
        movie_id: id(p[0], "movie id")?,
        title: p[1].to_owned(),
        genres,
    })
}

/// `UserID::Gender::Age::Occupation::Zip-code` (ML-1M `users.dat`).
pub fn parse_ml1m_user(line: &str) -> Result<User, MlReject> {
    let p = fields(line, "::", 5, "UserID::Gender::Age::Occupation::Zip-code")?;
    user(p[0], p[1], p[2], p[3], p[4])
}

/// `user id | age | gender | occupation | zip code` (ML-100K `u.user`).
pub fn parse_ml100k_user(line: &str) -> Result<User, MlReject> {
    let p = fields(line, "|", 5, "id|age|gender|occupation|zip")?;
    user(p[0], p[2], p[1], p[3], p[4])
}

fn user(
    id_s: &str,
    gender: &str,
    age: &str,
    occupation: &str,
    zip: &str,
) -> Result<User, MlReject> {
    if !matches!(gender, "M" | "F") {
        return reject(format!("gender {gender:?} is not M or F"));
    }
    Ok(User {
        user_id: id(id_s, "user id")?,
        gender: gender.to_owned(),
        age: age
            .parse()
            .or_else(|_| reject(format!("age {age:?} is not a number")))?,
        occupation: occupation.to_owned(),
        zip: zip.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_with_and_without_timestamps() {
        assert_eq!(
            parse_ml1m_rating("1::1193::5::978300760"),
            Ok(Rating {
                user_id: 1,
                movie_id: 1193,
                stars: 5,
                ts: Some(978_300_760)
            })
        );
        assert_eq!(parse_ml1m_rating("3000::9::1::").map(|r| r.ts), Ok(None));
        assert_eq!(
            parse_ml100k_rating("196\t242\t3\t881250949\r"),
            Ok(Rating {
                user_id: 196,
                movie_id: 242,
                stars: 3,
                ts: Some(881_250_949)
            })
        );
    }

    #[test]
    fn malformed_ratings_say_why() {
        let why = |l: &str| parse_ml1m_rating(l).unwrap_err().to_string();
        assert!(why("1::2::3").contains("expected 4 fields"));
        assert!(why("1::2::6::0").contains("rating \"6\" is not 1 to 5"));
        assert!(why("x::2::3::0").contains("user id \"x\""));
        assert!(why("1::0::3::0").contains("movie id \"0\""));
        assert!(why("1::2::3::soon").contains("timestamp \"soon\""));
        assert!(why("1::2::3::9223372036854775807").contains("outside the accepted years"));
        assert!(why("1::2::3::-9000000000").contains("outside the accepted years"));
        assert!(why("2147483648::2::3::").contains("positive integer up to 2147483647"));
        assert!(why("1::4294967295::3::").contains("movie id"));
        assert!(why("").contains("expected 4 fields"));
    }

    #[test]
    fn movies_in_both_formats_with_latin1_titles() {
        let line = latin1(b"73::Mis\xe9rables, Les (1995)::Drama|Musical");
        let m = parse_ml1m_movie(&line).unwrap();
        assert_eq!(m.title, "Misérables, Les (1995)");
        assert_eq!(m.genres, ["Drama", "Musical"]);
        let item = "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0";
        let m = parse_ml100k_item(item).unwrap();
        assert_eq!(m.genres, ["Animation", "Children's", "Comedy"]);
        assert!(parse_ml100k_item("1|T|d||u|2|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0").is_err());
    }

    #[test]
    fn users_in_both_formats() {
        let u = parse_ml1m_user("1::F::1::10::48067").unwrap();
        assert_eq!(
            (u.user_id, u.gender.as_str(), u.age, u.zip.as_str()),
            (1, "F", 1, "48067")
        );
        let u = parse_ml100k_user("1|24|M|technician|85711").unwrap();
        assert_eq!((u.age, u.occupation.as_str()), (24, "technician"));
        assert!(parse_ml1m_user("1::X::1::10::48067").is_err());
    }
}
