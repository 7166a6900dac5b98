//! Files written whole or not at all: a temporary file in the target's directory, renamed
//! over the target only when it is complete (as cargo and git do).
//!
//! A failing query, a late argument error, a full disk, Esc in the TUI or a crash leave an
//! existing file untouched and never a half file under the final name: the temporary file
//! is removed when an [`AtomicFile`] is dropped without [`AtomicFile::commit`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written under a temporary name beside its final path.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    out: BufWriter<NamedTempFile>,
}

/// The directory a path lives in (`.` for a bare file name).
fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

impl AtomicFile {
    /// Starts writing `path` (nothing appears under that name until [`Self::commit`]).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir_of(path))?;
        Ok(AtomicFile {
            path: path.to_owned(),
            out: BufWriter::with_capacity(1 << 16, tmp),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn finish(self) -> io::Result<(NamedTempFile, PathBuf)> {
        let tmp = self.out.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        // A temporary file is private (0600); an export is an ordinary file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        Ok((tmp, self.path))
    }

    /// Flushes, syncs and renames the file into place, replacing what was there.
    pub fn commit(self) -> io::Result<()> {
        let (tmp, path) = self.finish()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }

    /// Like [`Self::commit`], but fails with `AlreadyExists` instead of replacing a file.
    pub fn commit_new(self) -> io::Result<()> {
        let (tmp, path) = self.finish()?;
        tmp.persist_noclobber(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Moves a finished file into place (same file system: the final step of a staged write).
pub fn rename_into_place(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)?;
    // Make the rename itself durable.
    if let Ok(d) = File::open(dir_of(to)) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// `dir/stem.ext`, or `dir/stem-2.ext`, `-3`… : the first name that neither exists nor has
/// a `.meta.json` sidecar, so an export never silently replaces an earlier one.
pub fn fresh_name(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    let taken = |p: &Path| {
        let mut meta = p.as_os_str().to_owned();
        meta.push(".meta.json");
        p.exists() || Path::new(&meta).exists()
    };
    let first = dir.join(format!("{stem}.{ext}"));
    if !taken(&first) {
        return first;
    }
    (2u64..)
        .map(|n| dir.join(format!("{stem}-{n}.{ext}")))
        .find(|p| !taken(p))
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit_and_a_drop_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        std::fs::write(&p, "old").unwrap();
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new, half").unwrap();
        drop(f);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn commit_new_refuses_to_replace() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, "old").unwrap();
        let f = AtomicFile::create(&p).unwrap();
        assert_eq!(
            f.commit_new().unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
    }

    #[test]
    fn fresh_names_skip_files_and_sidecars() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(
            fresh_name(d, "perx-weekly", "csv"),
            d.join("perx-weekly.csv")
        );
        std::fs::write(d.join("perx-weekly.csv"), "").unwrap();
        std::fs::write(d.join("perx-weekly-2.csv.meta.json"), "").unwrap();
        assert_eq!(
            fresh_name(d, "perx-weekly", "csv"),
            d.join("perx-weekly-3.csv")
        );
    }
}
