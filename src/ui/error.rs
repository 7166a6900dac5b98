//! The TUI's error type: any library error, kept typed until the popup shows it with its
//! whole cause chain ("what: why: the OS's reason"), the way the CLI prints errors.

use std::fmt;

/// An error on its way to the popup.
#[derive(Debug)]
pub struct UiError(Box<dyn std::error::Error + Send + Sync + 'static>);

/// A message that is the whole story (no cause behind it).
#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

impl UiError {
    /// An error that is just a message for the user.
    pub fn msg(text: impl Into<String>) -> UiError {
        UiError(Box::new(Message(text.into())))
    }

    /// `e` with `what` in front ("path: the chain of e").
    pub fn context(what: impl fmt::Display, e: impl Into<UiError>) -> UiError {
        UiError::msg(format!("{what}: {}", e.into()))
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for UiError {
    fn from(e: E) -> Self {
        UiError(Box::new(e))
    }
}

impl fmt::Display for UiError {
    /// The message and each cause (see [`crate::error_chain`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::error_chain(self.0.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading {0}")]
    struct Outer(&'static str, #[source] std::io::Error);

    #[test]
    fn the_popup_shows_the_whole_chain_once() {
        let e = UiError::from(Outer("m.bin", std::io::Error::other("disk on fire")));
        assert_eq!(e.to_string(), "reading m.bin: disk on fire");
        assert_eq!(UiError::msg("plain").to_string(), "plain");
    }
}
