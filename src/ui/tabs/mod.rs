//! One component per tab: its own state, key handling and drawing.

pub mod data;
pub mod engagement;
pub mod recommend;
pub mod weekly;

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use crate::store::Store;

/// What a tab asks the app to do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The key was used (or ignored) by the tab.
    Done,
    /// The tab did not use the key: the app may (tab switching, quitting…).
    NotMine,
    /// Show an error.
    Error(String),
}

/// A tab of the UI.
pub trait Tab {
    /// Whether a text field has focus (then plain keys are typed, not shortcuts).
    fn editing(&self) -> bool {
        false
    }
    /// Handles a key.
    fn on_key(&mut self, key: KeyEvent, store: &Store) -> Outcome;
    /// Called when the tab is shown (first time included): load what it needs.
    fn on_show(&mut self, store: &Store) -> Outcome;
    /// Draws the tab.
    fn render(&mut self, frame: &mut Frame, area: Rect);
    /// The tab's own keys, for the help overlay.
    fn keys(&self) -> &'static [(&'static str, &'static str)];
}
