//! The files beside an Avro log: its rejects sidecar, and the staged copies a load writes
//! and publishes only after its commit.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::AvroError;
use crate::core::Reject;

/// The rejects sidecar that accompanies `avro` (`<avro>.rejects.csv`).
pub fn sidecar_path(avro: &Path) -> PathBuf {
    let mut s = avro.as_os_str().to_owned();
    s.push(".rejects.csv");
    PathBuf::from(s)
}

/// Where a conversion to `output` is written until [`publish`] moves it into place:
/// `<output>.partial`, and its rejects in `<output>.partial.rejects.csv`.
pub fn staged_path(output: &Path) -> PathBuf {
    let mut s = output.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

/// Moves the staged Avro file of `output` and its rejects sidecar into place.
pub fn publish(output: &Path) -> Result<(), AvroError> {
    let tmp = staged_path(output);
    for (from, to) in [
        (sidecar_path(&tmp), sidecar_path(output)),
        (tmp, output.to_owned()),
    ] {
        crate::atomic::rename_into_place(&from, &to)
            .map_err(|source| AvroError::Io { path: to, source })?;
    }
    Ok(())
}

/// Removes the staged files of `output`, if any (a failed or in-memory load).
pub fn discard(output: &Path) {
    let tmp = staged_path(output);
    let _ = std::fs::remove_file(sidecar_path(&tmp));
    let _ = std::fs::remove_file(tmp);
}

/// Reads a rejects sidecar back (for loading an Avro file converted earlier), handing each
/// reject to `each` as it is read, so memory holds one line whatever the file's size.
pub fn read_sidecar<E: From<AvroError>>(
    path: &Path,
    each: &mut dyn FnMut(Reject) -> Result<(), E>,
) -> Result<(), E> {
    let bad = |line: u64, problem: String| AvroError::Sidecar {
        path: path.to_owned(),
        line,
        problem,
    };
    let file = File::open(path).map_err(|source| AvroError::Io {
        path: path.to_owned(),
        source,
    })?;
    let capped =
        crate::limits::LineCap::new(BufReader::new(file), crate::limits::MAX_CSV_LINE_BYTES);
    let mut rdr = csv::Reader::from_reader(capped);
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(bad(line, e.to_string()).into());
            }
        }
        let line = rec.position().map_or(0, |p| p.line());
        let (Some(n), Some(reason), Some(raw)) = (rec.get(0), rec.get(1), rec.get(2)) else {
            return Err(bad(line, "expected 3 fields: line_no,reason,raw".into()).into());
        };
        let line_no = n
            .parse()
            .map_err(|_| bad(line, format!("line_no {n:?} is not a number")))?;
        each(Reject {
            line_no,
            reason: reason.to_owned(),
            raw: raw.to_owned(),
        })?;
    }
}
