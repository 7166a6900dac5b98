//! Text on its way to a terminal: C0 and C1 control characters made visible.
//!
//! Names, paths and reasons that came from a data file or the network may hold ESC, BEL or
//! CSI; printed as they are they would retitle the window, clear the screen or worse. Every
//! line the CLI prints for people (stderr messages, progress labels, `--format table`) goes
//! through [`visible`] or the [`Visible`] writer; CSV, JSON and `-o` files keep the data
//! exactly. Newline and tab are kept (they are layout, not commands); every other control
//! character is written as an escape: `\x1b` for C0 and DEL, `\u{9b}` for C1.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Whether `c` is shown as an escape rather than sent to the terminal.
fn hidden(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

fn escape_into(out: &mut String, c: char) {
    // Writing into a String cannot fail.
    let _ = if (c as u32) < 0x80 {
        write!(out, "\\x{:02x}", c as u32)
    } else {
        write!(out, "\\u{{{:x}}}", c as u32)
    };
}

/// `s` with its control characters (except newline and tab) written as escapes.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer that makes control characters visible in everything written through it.
///
/// Works on bytes: C0 and DEL are single bytes, C1 characters are `0xC2 0x80..=0x9F` in
/// UTF-8, so a `0xC2` at the end of one write is held until the next byte is seen.
#[derive(Debug)]
pub struct Visible<W: Write> {
    inner: W,
    /// A `0xC2` byte seen at the end of the last write.
    pending: bool,
}

impl<W: Write> Visible<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Visible {
            inner,
            pending: false,
        }
    }

    /// The wrapped writer (a held byte is written first).
    pub fn into_inner(mut self) -> io::Result<W> {
        self.release()?;
        Ok(self.inner)
    }

    fn release(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.pending) {
            self.inner.write_all(&[0xC2])?;
        }
        Ok(())
    }
}

impl<W: Write> Write for Visible<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        let mut i = 0;
        if self.pending && !buf.is_empty() {
            self.pending = false;
            if (0x80..=0x9F).contains(&buf[0]) {
                let mut esc = String::new();
                escape_into(&mut esc, char::from_u32(u32::from(buf[0])).unwrap_or('?'));
                self.inner.write_all(esc.as_bytes())?;
                start = 1;
                i = 1;
            } else {
                self.inner.write_all(&[0xC2])?;
            }
        }
        while i < buf.len() {
            let b = buf[i];
            let c1 = b == 0xC2 && buf.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n));
            let c0 = (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7F;
            if b == 0xC2 && i + 1 == buf.len() {
                self.inner.write_all(&buf[start..i])?;
                self.pending = true;
                return Ok(buf.len());
            }
            if c0 || c1 {
                self.inner.write_all(&buf[start..i])?;
                let mut esc = String::new();
                if c0 {
                    escape_into(&mut esc, char::from(b));
                    i += 1;
                } else {
                    escape_into(&mut esc, char::from(buf[i + 1]));
                    i += 2;
                }
                self.inner.write_all(esc.as_bytes())?;
                start = i;
            } else {
                i += 1;
            }
        }
        self.inner.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.release()?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through_writer(parts: &[&[u8]]) -> String {
        let mut w = Visible::new(Vec::new());
        for p in parts {
            w.write_all(p).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn controls_become_escapes_and_layout_stays() {
        assert_eq!(visible("plain text"), "plain text");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        assert_eq!(
            visible("a\x1b]0;pwned\x07b\r\n\tc\u{7f}"),
            "a\\x1b]0;pwned\\x07b\\x0d\n\tc\\x7f"
        );
        assert_eq!(visible("csi\u{9b}2J é ü"), "csi\\u{9b}2J é ü");
    }

    #[test]
    fn the_writer_agrees_with_visible_however_the_bytes_are_split() {
        let text = "x\u{1b}[2J\u{9b}31m→ é\u{85}\n\u{7}end\u{c2}\u{a0}";
        let expected = visible(text).into_owned();
        let bytes = text.as_bytes();
        assert_eq!(through_writer(&[bytes]), expected);
        for cut in 0..bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(through_writer(&[a, b]), expected, "split at {cut}");
        }
        let single: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(through_writer(&single), expected);
    }
}
