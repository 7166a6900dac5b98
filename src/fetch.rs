//! `perx movielens fetch`: download the MovieLens 1M zip, check it, unpack it.
//!
//! The project never ships MovieLens files (their licence forbids redistribution); this
//! fetches them from GroupLens for the user. The download streams to `FILE.part` while its
//! sha256 is computed and is renamed into place only when complete; the zip is then checked
//! (it opens, and holds ratings.dat, movies.dat and users.dat) and unpacked with every path
//! kept inside the destination.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::progress::{Progress, Unit};

/// Where GroupLens publishes MovieLens 1M.
pub const ML1M_URL: &str = "https://files.grouplens.org/datasets/movielens/ml-1m.zip";

/// The files a MovieLens 1M zip must hold.
pub const ML1M_FILES: [&str; 3] = ["ratings.dat", "movies.dat", "users.dat"];

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server could not be reached or the transfer broke.
    #[error(
        "downloading {url}: {message}; check the address and your connection, then run the command again"
    )]
    Http {
        /// What was asked for.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The download is not the expected file.
    #[error(
        "{path}: sha256 is {found}, expected {expected}; the download is not the expected file (it was kept for inspection)"
    )]
    Checksum {
        /// The zip.
        path: PathBuf,
        /// Its sha256.
        found: String,
        /// What `--sha256` asked for.
        expected: String,
    },
    /// The download is not a usable zip.
    #[error("{path}: not a MovieLens 1M zip: {message}")]
    BadZip {
        /// The zip.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
    /// The downloaded zip.
    pub zip: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Its sha256, hex.
    pub sha256: String,
    /// The directory holding ratings.dat (what `perx movielens load --dir` takes).
    pub data_dir: PathBuf,
    /// Files unpacked, relative to the destination.
    pub files: Vec<PathBuf>,
}

/// Downloads `url` into `dest` (created if missing), checks it and unpacks it.
pub fn fetch(
    url: &str,
    dest: &Path,
    expected_sha256: Option<&str>,
    progress: &dyn Progress,
) -> Result<FetchReport, FetchError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| FetchError::Io { path, source }
    };
    std::fs::create_dir_all(dest).map_err(io(dest))?;
    let name = url
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && !n.contains(['?', '#']))
        .unwrap_or("ml-1m.zip");
    let zip_path = dest.join(name);
    let part = dest.join(format!("{name}.part"));
    let http = |message: String| FetchError::Http {
        url: url.to_owned(),
        message,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_recv_body(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| http(e.to_string()))?;
    let total = response.body().content_length();
    progress.start(&format!("downloading {name}"), total, Unit::Bytes);
    let mut reader = response.body_mut().as_reader();
    let mut out = BufWriter::new(File::create(&part).map_err(io(&part))?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| http(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(io(&part))?;
        bytes += n as u64;
        progress.advance(n as u64);
    }
    progress.finish();
    out.flush().map_err(io(&part))?;
    drop(out);
    if let Some(total) = total.filter(|&t| t != bytes) {
        return Err(http(format!("got {bytes} of {total} bytes")));
    }
    std::fs::rename(&part, &zip_path).map_err(io(&zip_path))?;
    let sha256 = hex(&hasher.finalize());
    if let Some(expected) = expected_sha256
        && !expected.eq_ignore_ascii_case(&sha256)
    {
        return Err(FetchError::Checksum {
            path: zip_path,
            found: sha256,
            expected: expected.to_owned(),
        });
    }
    let (data_dir, files) = unpack(&zip_path, dest)?;
    Ok(FetchReport {
        zip: zip_path,
        bytes,
        sha256,
        data_dir,
        files,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that the zip holds the three MovieLens 1M files, then unpacks it into `dest`.
/// Returns the directory holding ratings.dat and the files written.
fn unpack(zip_path: &Path, dest: &Path) -> Result<(PathBuf, Vec<PathBuf>), FetchError> {
    let bad = |message: String| FetchError::BadZip {
        path: zip_path.to_owned(),
        message,
    };
    let file = File::open(zip_path).map_err(|source| FetchError::Io {
        path: zip_path.to_owned(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let Some(rel) = entry.enclosed_name() else {
            return Err(bad(format!(
                "entry {:?} points outside the destination",
                entry.name()
            )));
        };
        entries.push((i, rel));
    }
    let ratings = entries
        .iter()
        .find(|(_, p)| p.file_name().is_some_and(|n| n == "ratings.dat"))
        .map(|(_, p)| p.parent().map(Path::to_path_buf).unwrap_or_default())
        .ok_or_else(|| bad("it has no ratings.dat".to_owned()))?;
    for wanted in ML1M_FILES {
        if !entries.iter().any(|(_, p)| *p == ratings.join(wanted)) {
            return Err(bad(format!("it has no {wanted} beside ratings.dat")));
        }
    }
    let mut written = Vec::new();
    for (i, rel) in entries {
        let mut entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        let target = dest.join(&rel);
        let io = |source| FetchError::Io {
            path: target.clone(),
            source,
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut out = BufWriter::new(File::create(&target).map_err(io)?);
        std::io::copy(&mut entry, &mut out).map_err(|e| bad(format!("{}: {e}", rel.display())))?;
        out.flush().map_err(io)?;
        written.push(rel);
    }
    Ok((dest.join(ratings), written))
}
