//! Where a command's results go: stdout (no `-o`, or `-o -`), or a `-o` file written
//! atomically (a temporary file moved into place by [`Destination::commit`] only when
//! everything was written, so a failure leaves an existing file as it was; a FIFO or a
//! device is written directly, as the shell's `>` does). Formats for people go through
//! [`perx::term::Visible`]; CSV and JSON keep the data exactly.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use perx::atomic::AtomicFile;
use perx::term::Visible;

/// Stdout, or a file being written under a temporary name.
pub struct Destination {
    file: Option<AtomicFile>,
}

impl Destination {
    /// Stdout when `path` is `None` or `-`, else `path` through [`AtomicFile`] (a new
    /// temporary file beside a regular file; a FIFO or device written directly).
    pub fn open(path: Option<&Path>) -> Result<Destination> {
        let file = match path {
            Some(p) if p.as_os_str() != "-" => {
                Some(AtomicFile::create(p).with_context(|| format!("creating {}", p.display()))?)
            }
            _ => None,
        };
        Ok(Destination { file })
    }

    /// The writer; `for_people` (a table) makes control characters visible.
    pub fn writer(&mut self, for_people: bool) -> Box<dyn Write + Send + '_> {
        let raw: Box<dyn Write + Send + '_> = match self.file.as_mut() {
            Some(f) => Box::new(f),
            None => Box::new(BufWriter::new(std::io::stdout())),
        };
        if for_people {
            Box::new(Visible::new(raw))
        } else {
            raw
        }
    }

    /// The file's final path, if the destination is a file.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(AtomicFile::path)
    }

    /// `err` with the file named, when it is an I/O error (a full disk, say).
    pub fn context(&self, err: anyhow::Error) -> anyhow::Error {
        match self.path() {
            Some(p) if super::io_error(&err).is_some() => {
                err.context(format!("writing {}", p.display()))
            }
            _ => err,
        }
    }

    /// Moves a complete file into place; returns its path (`None` for stdout).
    pub fn commit(self) -> Result<Option<PathBuf>> {
        let Some(f) = self.file else {
            return Ok(None);
        };
        let path = f.path().to_owned();
        f.commit()
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Some(path))
    }
}
