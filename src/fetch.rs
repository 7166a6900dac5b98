//! `perx movielens fetch`: download the MovieLens 1M zip, check it, unpack it.
//!
//! The project never ships MovieLens files (their licence forbids redistribution); this
//! fetches them from GroupLens for the user. The download streams to `FILE.part` while its
//! sha256 is computed and is renamed into place only when complete; the zip is then checked
//! (it opens, and holds ratings.dat, movies.dat and users.dat).
//!
//! A mirror (`--url`) is untrusted: only the data set's own files (ratings, movies, users
//! and README, beside each other) are unpacked, into the data set's folder and nothing else
//! from the archive; each file and the total have a size cap that the copy enforces (a zip
//! bomb is refused and nothing is left behind); files are written under temporary names and
//! renamed into place, so a symbolic link already in the destination is replaced, never
//! followed.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::limits::{MAX_DOWNLOAD_BYTES, MAX_UNZIPPED_ENTRY_BYTES, MAX_UNZIPPED_TOTAL_BYTES};
use crate::progress::{Progress, Unit};

/// Where GroupLens publishes MovieLens 1M.
pub const ML1M_URL: &str = "https://files.grouplens.org/datasets/movielens/ml-1m.zip";

/// The files a MovieLens 1M zip must hold.
pub const ML1M_FILES: [&str; 3] = ["ratings.dat", "movies.dat", "users.dat"];
/// Files of the data set unpacked when present beside them.
pub const ML1M_OPTIONAL: [&str; 1] = ["README"];

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
    #[error("{path}")]
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
    // Connect and idle timeouts: a slow mirror may take long, a silent one is dead.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| http(e.to_string()))?;
    let total = response.body().content_length();
    if let Some(t) = total.filter(|&t| t > MAX_DOWNLOAD_BYTES) {
        return Err(http(format!(
            "the server announces {t} bytes, more than the {MAX_DOWNLOAD_BYTES} a MovieLens zip can be"
        )));
    }
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
        if bytes + n as u64 > MAX_DOWNLOAD_BYTES {
            drop(out);
            let _ = std::fs::remove_file(&part);
            return Err(http(format!(
                "more than {MAX_DOWNLOAD_BYTES} bytes; not a MovieLens zip"
            )));
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

/// Checks that the zip holds the three MovieLens 1M files, then unpacks the data set's own
/// files (see the module docs) into `dest`. Returns the directory holding ratings.dat and
/// the files written, relative to `dest`.
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
    // (index, path inside the archive, declared size) of the regular files.
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        // Paths that leave the destination are not unpacked (and cannot be the data set).
        if let Some(rel) = entry.enclosed_name() {
            entries.push((i, rel, entry.size()));
        }
    }
    let folder = entries
        .iter()
        .find(|(_, p, _)| p.file_name().is_some_and(|n| n == "ratings.dat"))
        .map(|(_, p, _)| p.parent().map(Path::to_path_buf).unwrap_or_default())
        .ok_or_else(|| bad("it has no ratings.dat".to_owned()))?;
    let wanted: Vec<(usize, PathBuf, u64)> = entries
        .into_iter()
        .filter(|(_, p, _)| {
            p.parent() == Some(folder.as_path())
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| ML1M_FILES.contains(&n) || ML1M_OPTIONAL.contains(&n))
        })
        .collect();
    for name in ML1M_FILES {
        if !wanted.iter().any(|(_, p, _)| *p == folder.join(name)) {
            return Err(bad(format!("it has no {name} beside ratings.dat")));
        }
    }
    let declared: u64 = wanted.iter().map(|(_, _, n)| *n).sum();
    if let Some((_, p, n)) = wanted
        .iter()
        .find(|(_, _, n)| *n > MAX_UNZIPPED_ENTRY_BYTES)
    {
        return Err(bad(format!(
            "{} would unpack to {n} bytes, more than the {MAX_UNZIPPED_ENTRY_BYTES} allowed per file",
            p.display()
        )));
    }
    if declared > MAX_UNZIPPED_TOTAL_BYTES {
        return Err(bad(format!(
            "the data set would unpack to {declared} bytes, more than the {MAX_UNZIPPED_TOTAL_BYTES} allowed"
        )));
    }

    let target_dir = dest.join(&folder);
    refuse_links(dest, &folder)?;
    let created = !target_dir.exists();
    std::fs::create_dir_all(&target_dir).map_err(|source| FetchError::Io {
        path: target_dir.clone(),
        source,
    })?;
    // Every file goes to a temporary name first; nothing is renamed until all are complete,
    // so a failure leaves nothing behind (the temporary files are removed on drop).
    let result = (|| {
        let mut staged = Vec::new();
        let mut total = 0u64;
        for (i, rel, _) in &wanted {
            let mut entry = archive.by_index(*i).map_err(|e| bad(e.to_string()))?;
            let io = |source| FetchError::Io {
                path: target_dir.clone(),
                source,
            };
            let mut tmp = tempfile::Builder::new()
                .prefix(".perx-unpack.")
                .tempfile_in(&target_dir)
                .map_err(io)?;
            // The declared sizes may lie: the copy itself stops past the caps.
            let cap = MAX_UNZIPPED_ENTRY_BYTES.min(MAX_UNZIPPED_TOTAL_BYTES - total);
            let n = {
                let mut out = BufWriter::new(tmp.as_file_mut());
                let n = std::io::copy(&mut (&mut entry).take(cap + 1), &mut out)
                    .map_err(|e| bad(format!("{}: {e}", rel.display())))?;
                out.flush().map_err(io)?;
                n
            };
            if n > cap {
                return Err(bad(format!(
                    "{} unpacks to more than {cap} bytes (a zip bomb?); nothing was unpacked",
                    rel.display()
                )));
            }
            total += n;
            staged.push((tmp, rel.clone()));
        }
        let mut written = Vec::new();
        for (tmp, rel) in staged {
            let target = dest.join(&rel);
            tmp.persist(&target).map_err(|e| FetchError::Io {
                path: target.clone(),
                source: e.error,
            })?;
            written.push(rel);
        }
        Ok(written)
    })();
    match result {
        Ok(written) => Ok((target_dir, written)),
        Err(e) => {
            if created {
                let _ = std::fs::remove_dir(&target_dir);
            }
            Err(e)
        }
    }
}

/// Refuses to unpack through a symbolic link: each existing component of `folder` under
/// `dest` must be a real directory (a link there could point anywhere).
fn refuse_links(dest: &Path, folder: &Path) -> Result<(), FetchError> {
    let mut at = dest.to_owned();
    for part in folder.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(FetchError::Io {
                    path: at,
                    source: std::io::Error::other(
                        "is a symbolic link; perx does not unpack through links (remove it or choose another --dest)",
                    ),
                });
            }
            _ => {}
        }
    }
    Ok(())
}
