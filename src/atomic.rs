//! Files written whole or not at all, as the shell's `>` would name them.
//!
//! A regular file (or a name not yet taken) is written under a temporary name in its
//! directory and renamed over the target only when it is complete (as cargo and git do): a
//! failing query, a late argument error, a full disk, Esc in the TUI or a crash leave an
//! existing file untouched and never a half file under the final name; the temporary file
//! is removed when an [`AtomicFile`] is dropped without [`AtomicFile::commit`].
//!
//! A rename is only right for a regular file. A symbolic link is followed, so the file it
//! names is replaced and the link kept; a FIFO, a character or block device or a socket is
//! written directly (no temporary file, no rename), as `>` would: renaming over
//! `/dev/full` would replace the device with a regular file, and over a named pipe would
//! leave its reader waiting forever.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// How many symbolic links are followed before giving up (Linux's `MAXSYMLINKS`).
const MAX_LINK_HOPS: usize = 40;

/// A file being written: under a temporary name beside its final path, or directly into a
/// special file.
#[derive(Debug)]
pub struct AtomicFile {
    /// The path as given (what messages name).
    path: PathBuf,
    /// Where the bytes end up: `path` with its symbolic links followed.
    target: PathBuf,
    out: Sink,
}

#[derive(Debug)]
enum Sink {
    /// A temporary file renamed over `target` on commit.
    Temp {
        out: BufWriter<NamedTempFile>,
        /// The replaced file's permissions, kept (a new file gets 0644).
        mode: Option<std::fs::Permissions>,
    },
    /// A FIFO, device or socket, written in place.
    Direct(BufWriter<File>),
}

/// The directory a path lives in (`.` for a bare file name).
fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `path` with every symbolic link in its last component followed (a dangling link gives
/// the path it points to, which the write then creates, as `>` does).
fn follow_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINK_HOPS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let to = std::fs::read_link(&current)?;
                current = if to.is_absolute() {
                    to
                } else {
                    dir_of(&current).join(to)
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{}: more than {MAX_LINK_HOPS} symbolic links in a row (a loop?)",
        path.display()
    )))
}

impl AtomicFile {
    /// Starts writing `path`: nothing appears under that name until [`Self::commit`], except
    /// into a special file (FIFO, device, socket), which is opened and written directly.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let target = follow_links(path)?;
        let existing = match std::fs::metadata(&target) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let out = match existing {
            Some(meta) if !meta.is_file() && !meta.is_dir() => {
                let file = OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&target)?;
                Sink::Direct(BufWriter::with_capacity(1 << 16, file))
            }
            existing => {
                let name = target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let tmp = tempfile::Builder::new()
                    .prefix(&format!(".{name}."))
                    .suffix(".tmp")
                    .tempfile_in(dir_of(&target))?;
                Sink::Temp {
                    out: BufWriter::with_capacity(1 << 16, tmp),
                    mode: existing.map(|m| m.permissions()),
                }
            }
        };
        Ok(AtomicFile {
            path: path.to_owned(),
            target,
            out,
        })
    }

    /// The final path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the bytes go straight into a special file (no rename at the end).
    pub fn is_direct(&self) -> bool {
        matches!(self.out, Sink::Direct(_))
    }

    /// Flushes and syncs; the temporary file (if any) ready to be renamed.
    fn finish(self) -> io::Result<(Option<NamedTempFile>, PathBuf)> {
        match self.out {
            Sink::Direct(mut out) => {
                out.flush()?;
                Ok((None, self.target))
            }
            Sink::Temp { out, mode } => {
                let tmp = out.into_inner().map_err(|e| e.into_error())?;
                tmp.as_file().sync_all()?;
                // A temporary file is private (0600); an export is an ordinary file, and a
                // replaced one keeps its permissions.
                #[cfg(unix)]
                let mode = mode.or_else(|| {
                    use std::os::unix::fs::PermissionsExt as _;
                    Some(std::fs::Permissions::from_mode(0o644))
                });
                if let Some(mode) = mode {
                    tmp.as_file().set_permissions(mode)?;
                }
                Ok((Some(tmp), self.target))
            }
        }
    }

    /// Flushes, syncs and renames the file into place, replacing what was there (a special
    /// file was written in place: this flushes it).
    pub fn commit(self) -> io::Result<()> {
        let (tmp, target) = self.finish()?;
        if let Some(tmp) = tmp {
            tmp.persist(&target).map_err(|e| e.error)?;
            sync_dir(&target);
        }
        Ok(())
    }

    /// Like [`Self::commit`], but fails with `AlreadyExists` instead of replacing a file.
    pub fn commit_new(self) -> io::Result<()> {
        let (tmp, target) = self.finish()?;
        if let Some(tmp) = tmp {
            tmp.persist_noclobber(&target).map_err(|e| e.error)?;
            sync_dir(&target);
        }
        Ok(())
    }
}

/// Makes a rename into `path`'s directory durable (best effort: not every file system can
/// sync a directory).
fn sync_dir(path: &Path) {
    if let Ok(d) = File::open(dir_of(path)) {
        let _ = d.sync_all();
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.out {
            Sink::Temp { out, .. } => out.write(buf),
            Sink::Direct(out) => out.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.out {
            Sink::Temp { out, .. } => out.write_all(buf),
            Sink::Direct(out) => out.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Sink::Temp { out, .. } => out.flush(),
            Sink::Direct(out) => out.flush(),
        }
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
    sync_dir(to);
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

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.csv");
        let link = dir.path().join("link.csv");
        std::fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link stays a link"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A dangling link creates the file it names, as `>` does.
        let dangling = dir.path().join("dangling.csv");
        std::os::unix::fs::symlink("made.csv", &dangling).unwrap();
        write(&dangling, b"made").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("made.csv")).unwrap(),
            "made"
        );
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("secret.csv");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write(&p, b"new").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let fresh = dir.path().join("fresh.csv");
        write(&fresh, b"x").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_in_place() {
        use std::os::unix::fs::FileTypeExt as _;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        let mut f = AtomicFile::create(&fifo).unwrap();
        assert!(f.is_direct());
        f.write_all(b"through the pipe").unwrap();
        f.commit().unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo(),
            "still a FIFO"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_device_is_written_in_place_and_its_errors_surface() {
        use std::os::unix::fs::FileTypeExt as _;
        let dev = Path::new("/dev/full");
        // `is_direct` is asserted before anything could be renamed over the device.
        let mut f = AtomicFile::create(dev).unwrap();
        assert!(f.is_direct());
        let wrote = f.write_all(b"x").and_then(|()| f.commit());
        assert!(wrote.is_err(), "writing /dev/full fails with ENOSPC");
        assert!(std::fs::metadata(dev).unwrap().file_type().is_char_device());
    }
}
