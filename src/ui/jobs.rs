//! Long work (building the session browser, loading or training the recommender,
//! reloading the data) runs on a worker thread with its own DuckDB connection (the Query
//! tab's statements on the console's session, which lasts as long as the tab), so the UI
//! keeps drawing: a spinner with the elapsed time and the job's progress in the footer,
//! and Esc interrupts the running statement through DuckDB's interrupt handle.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::progress::{Progress, Unit};
use crate::store::query::ConsoleSession;
use crate::store::{Interrupt, Store};
use crate::ui::UiError;

/// The body of a job: runs on the worker thread with the job's own connection, and gives
/// back a `D` (the UI's `tabs::Done`: jobs know nothing of the tabs).
pub type JobFn<D> = Box<dyn FnOnce(&mut Store, &JobProgress) -> D + Send>;

/// Work a tab asks the app to run in the background.
pub struct Work<D> {
    /// What the footer says while it runs ("building the session browser").
    pub label: &'static str,
    /// The work.
    pub run: JobFn<D>,
    /// The connection it runs on: the SQL console's session, or (`None`) a new one.
    pub session: Option<ConsoleSession>,
}

impl<D> Work<D> {
    /// A job called `label`, on a connection of its own.
    pub fn new(
        label: &'static str,
        run: impl FnOnce(&mut Store, &JobProgress) -> D + Send + 'static,
    ) -> Work<D> {
        Work {
            label,
            run: Box::new(run),
            session: None,
        }
    }

    /// The same job on the console's session (its temporary tables and settings).
    pub fn on(mut self, session: ConsoleSession) -> Work<D> {
        self.session = Some(session);
        self
    }
}

impl<D> std::fmt::Debug for Work<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work").field("label", &self.label).finish()
    }
}

/// The progress a job reports, read by the UI thread when it draws.
#[derive(Debug, Clone, Default)]
pub struct JobProgress(Arc<Mutex<Stage>>);

#[derive(Debug, Default)]
struct Stage {
    label: String,
    done: u64,
    total: Option<u64>,
    unit: Option<Unit>,
}

impl JobProgress {
    fn with<T>(&self, f: impl FnOnce(&mut Stage) -> T) -> T {
        // A poisoned lock only means a job panicked mid-update: the numbers are still fine.
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g)
    }

    /// The current stage as text: "http_log.txt 42%", "12,000 rows", or nothing.
    pub fn text(&self) -> String {
        self.with(|s| {
            if s.label.is_empty() {
                return String::new();
            }
            if s.done == 0 && s.total.is_none() {
                return s.label.clone();
            }
            match (s.total, s.unit) {
                (Some(t), _) if t > 0 => {
                    format!("{} {}%", s.label, (s.done.min(t) * 100) / t)
                }
                (_, Some(Unit::Bytes)) => format!("{} {} MB", s.label, s.done / 1_000_000),
                _ => format!("{} {} rows", s.label, super::strings::thousands(s.done)),
            }
        })
    }
}

impl Progress for JobProgress {
    fn start(&self, label: &str, total: Option<u64>, unit: Unit) {
        self.with(|s| {
            *s = Stage {
                label: label.to_owned(),
                done: 0,
                total,
                unit: Some(unit),
            }
        });
    }
    fn advance(&self, delta: u64) {
        self.with(|s| s.done += delta);
    }
    fn finish(&self) {
        self.with(|s| *s = Stage::default());
    }
}

/// The connection a job runs on.
enum Conn {
    Own(Store),
    Session(ConsoleSession),
}

/// A job on its worker thread, started by `T` (a tab, which gets the result).
pub struct Running<T, D> {
    /// Who started it (gets the result).
    pub tab: T,
    label: &'static str,
    started: Instant,
    progress: JobProgress,
    interrupt: Interrupt,
    rx: Receiver<Result<D, String>>,
    thread: std::thread::JoinHandle<()>,
}

impl<T: std::fmt::Debug, D> std::fmt::Debug for Running<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("tab", &self.tab)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// How a job ended, seen from the UI thread.
#[derive(Debug)]
pub enum Ended<D> {
    /// It finished (successfully or not: the result says).
    Finished(D),
    /// Its thread died without a result.
    Lost,
    /// It panicked (a bug); the text is the panic's message. The UI keeps running and
    /// shows it as an error.
    Panicked(String),
}

/// The message of a caught panic.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

/// Spinner frames, one per 100 ms.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

impl<T, D: Send + 'static> Running<T, D> {
    /// Starts `work` for tab `tab` on a new connection to `store`'s database, once the
    /// cancelled jobs in `after` have stopped (so two jobs never write the same tables).
    pub fn start(
        tab: T,
        work: Work<D>,
        store: &Store,
        after: Vec<std::thread::JoinHandle<()>>,
    ) -> Result<Running<T, D>, UiError> {
        // On the console's session, or a connection of its own.
        let (mut conn, interrupt) = match work.session {
            Some(s) => {
                let interrupt = s.interrupt_handle();
                (Conn::Session(s), interrupt)
            }
            None => {
                let own = store.try_clone().map_err(UiError::from)?;
                let interrupt = own.interrupt_handle();
                (Conn::Own(own), interrupt)
            }
        };
        let progress = JobProgress::default();
        let (tx, rx) = mpsc::channel();
        let shared = progress.clone();
        let run = work.run;
        let thread = std::thread::Builder::new()
            .name("perx-ui-job".into())
            .spawn(move || {
                for earlier in after {
                    let _ = earlier.join();
                }
                // A panic in a job is caught here and shown by the UI as an error; the
                // panic hook (`ui::run`) leaves the terminal to the UI for this thread.
                let done =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &mut conn {
                        Conn::Own(own) => run(own, &shared),
                        Conn::Session(s) => s.with(|store| run(store, &shared)),
                    }))
                    .map_err(|p| panic_text(p.as_ref()));
                // The UI may have cancelled and gone: then nobody wants the result.
                let _ = tx.send(done);
            })
            .map_err(|e| UiError::context("could not start a worker thread", e))?;
        Ok(Running {
            tab,
            label: work.label,
            started: Instant::now(),
            progress,
            interrupt,
            rx,
            thread,
        })
    }

    /// The result, if the job has ended.
    pub fn poll(&self) -> Option<Ended<D>> {
        match self.rx.try_recv() {
            Ok(Ok(done)) => Some(Ended::Finished(done)),
            Ok(Err(why)) => Some(Ended::Panicked(why)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Ended::Lost),
        }
    }

    /// Waits up to `timeout` for the job to end.
    pub fn wait(&self, timeout: Duration) -> Option<Ended<D>> {
        match self.rx.recv_timeout(timeout) {
            Ok(Ok(done)) => Some(Ended::Finished(done)),
            Ok(Err(why)) => Some(Ended::Panicked(why)),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Ended::Lost),
        }
    }

    /// Interrupts the job's statements until it ends (work outside DuckDB runs to its end
    /// and its result is dropped); returns a thread that ends with it, to be waited for
    /// before another job starts. DuckDB forgets an interrupt that comes before a
    /// statement starts, so one interrupt is not enough: the job may be between two
    /// statements, or not have started its first.
    pub fn cancel(self) -> std::thread::JoinHandle<()> {
        self.interrupt.interrupt();
        let (interrupt, job) = (self.interrupt, self.thread);
        let watch = std::thread::Builder::new()
            .name("perx-ui-cancel".into())
            .spawn(move || {
                while !job.is_finished() {
                    interrupt.interrupt();
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = job.join();
            });
        match watch {
            Ok(w) => w,
            // No thread for the watch: the one interrupt above is all there is.
            Err(_) => std::thread::spawn(|| {}),
        }
    }

    /// What the job is.
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// "⠹ building the session browser · sessions 42% · 3.2 s"
    pub fn status(&self) -> String {
        let elapsed = self.started.elapsed();
        let frame = SPINNER[(elapsed.as_millis() / 100) as usize % SPINNER.len()];
        let progress = self.progress.text();
        let progress = if progress.is_empty() {
            String::new()
        } else {
            format!(" · {progress}")
        };
        format!(
            "{frame} {}{progress} · {:.1} s",
            self.label,
            elapsed.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_as_percent_or_count() {
        let p = JobProgress::default();
        assert_eq!(p.text(), "");
        p.start("http_log.txt", Some(200), Unit::Bytes);
        p.advance(50);
        assert_eq!(p.text(), "http_log.txt 25%");
        p.start("ratings", None, Unit::Rows);
        p.advance(1200);
        assert_eq!(p.text(), "ratings 1,200 rows");
        p.finish();
        assert_eq!(p.text(), "");
    }

    #[test]
    fn a_job_runs_on_its_own_connection_and_reports_back() {
        let store = Store::open(&crate::store::DbPath::Memory).unwrap();
        let job = Running::start(
            "sessions",
            Work::new("counting", |s, _| s.table_counts().map(|c| c.len())),
            &store,
            Vec::new(),
        )
        .unwrap();
        match job.wait(Duration::from_secs(30)) {
            Some(Ended::Finished(Ok(n))) => assert_eq!(n, 10),
            other => panic!("unexpected {other:?}"),
        }
        assert!(job.status().contains("counting"));
    }

    #[test]
    fn a_panicking_job_is_reported_not_lost() {
        let store = Store::open(&crate::store::DbPath::Memory).unwrap();
        let job: Running<&str, ()> = Running::start(
            "weekly",
            Work::new("exploding", |_, _| panic!("boom at line 7")),
            &store,
            Vec::new(),
        )
        .unwrap();
        match job.wait(Duration::from_secs(30)) {
            Some(Ended::Panicked(why)) => assert_eq!(why, "boom at line 7"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
