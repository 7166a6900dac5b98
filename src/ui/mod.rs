//! The terminal UI (ratatui + crossterm): one event loop feeding [`Action`]s to
//! [`App::update`], one component per tab (`tabs/`), long work on a worker thread
//! (`jobs`), every visible string in `strings`. It calls the same library functions as
//! the CLI and adds no logic of its own.

pub mod app;
pub mod chart;
pub mod error;
pub mod jobs;
pub mod keymap;
pub mod picker;
pub mod strings;
pub mod tabs;

use std::io::Write;
use std::time::Duration;

use base64::Engine;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind,
};
use ratatui::crossterm::execute;

pub use app::{Action, App};
pub use error::UiError;

/// Runs the UI on the terminal until the user quits. The terminal is restored on the way
/// out, and by the panic hook (ratatui's, plus mouse capture off) if something panics.
pub fn run(mut app: App) -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let ratatui_hook = std::panic::take_hook();
    let ui_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        // A job's panic is caught on its thread and shown by the UI as an error: the
        // terminal stays the UI's, and nothing is printed under it.
        if std::thread::current().id() != ui_thread {
            return;
        }
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        ratatui_hook(info);
    }));
    // Without mouse reporting the UI still works by keys.
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    let result = (|| loop {
        app.tick();
        terminal.draw(|f| app.render(f))?;
        if let Some(text) = app.take_clipboard() {
            // Terminals without OSC 52 ignore it; a failed write is not worth an error.
            let _ = terminal.backend_mut().write_all(osc52(&text).as_bytes());
            let _ = terminal.backend_mut().flush();
        }
        if app.should_quit() {
            return Ok(());
        }
        // While a job runs, wake often enough for the spinner and its result.
        let wait = if app.busy() { 100 } else { 250 };
        if event::poll(Duration::from_millis(wait))? {
            match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => app.update(Action::Key(key)),
                Event::Mouse(m) => app.update(Action::Mouse(m)),
                _ => {}
            }
        }
    })();
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_wraps_base64() {
        assert_eq!(super::osc52("hi\tthere"), "\x1b]52;c;aGkJdGhlcmU=\x07");
    }
}
