//! The terminal UI (ratatui + crossterm): one event loop feeding [`Action`]s to
//! [`App::update`], one component per tab (`tabs/`), every visible string in `strings`.
//! It calls the same library functions as the CLI and adds no logic of its own.
//!
//! Work in progress (issue 5): the Weekly, Recommend and Data tabs; Engagement and
//! Sessions, exports, mouse and background work are still to come.

pub mod app;
pub mod picker;
pub mod strings;
pub mod tabs;

use std::time::Duration;

use ratatui::crossterm::event::{self, Event, KeyEventKind};

pub use app::{Action, App};

/// Runs the UI on the terminal until the user quits. The terminal is restored on the way
/// out, and by ratatui's panic hook if something panics.
pub fn run(mut app: App) -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let result = (|| loop {
        terminal.draw(|f| app.render(f))?;
        if app.should_quit() {
            return Ok(());
        }
        if event::poll(Duration::from_millis(250))? {
            match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => app.update(Action::Key(key)),
                _ => {}
            }
        }
    })();
    ratatui::restore();
    result
}
