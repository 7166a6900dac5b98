//! An indicatif progress bar behind the library's `Progress` trait. Draws on stderr only when
//! it is a terminal; quiet otherwise.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use perx::progress::{Progress, Unit};

/// One bar per stage, replaced when the next stage starts.
pub struct Bar {
    current: Mutex<Option<ProgressBar>>,
}

impl Bar {
    pub fn new() -> Self {
        Bar {
            current: Mutex::new(None),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Option<ProgressBar>)) {
        // A poisoned lock only means another stage panicked; progress is cosmetic.
        let mut guard = match self.current.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut guard);
    }
}

impl Progress for Bar {
    fn start(&self, label: &str, total: Option<u64>, unit: Unit) {
        let bar = match total {
            Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = match (total.is_some(), unit) {
            (true, Unit::Bytes) => {
                "{msg:32} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
            }
            (true, Unit::Rows) => "{msg:32} [{bar:30}] {human_pos}/{human_len} rows {per_sec}",
            (false, Unit::Bytes) => "{spinner} {msg:32} {bytes} {bytes_per_sec} {elapsed}",
            (false, Unit::Rows) => "{spinner} {msg:32} {human_pos} rows {per_sec} {elapsed}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        // Labels name files, which may hold anything.
        bar.set_message(perx::term::visible(label).into_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        self.with(|cur| {
            if let Some(old) = cur.replace(bar) {
                old.finish_and_clear();
            }
        });
    }

    fn advance(&self, delta: u64) {
        self.with(|cur| {
            if let Some(b) = cur {
                b.inc(delta);
            }
        });
    }

    fn finish(&self) {
        self.with(|cur| {
            if let Some(b) = cur.take() {
                b.finish_and_clear();
            }
        });
    }
}
