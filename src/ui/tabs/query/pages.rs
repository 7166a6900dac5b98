//! The Query tab's reads off the UI thread: a reader thread with its own connection reads
//! the grid's pages of the stored result (the latest request wins: requests that pile up
//! while one is read are skipped for the newest, and an answer for an older result or view
//! is dropped by its generation) and, once, the catalog and the history; the tab polls for
//! the answers.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::time::{Duration, Instant};

use crate::report::Cell;
use crate::store::query::{CatalogTable, QueryError, ResultView};
use crate::store::{Store, StoreError};

enum Request {
    Page {
        generation: u64,
        view: ResultView,
        start: u64,
        rows: usize,
    },
    Catalog {
        history: usize,
    },
}

/// What the reader brings back.
pub(super) enum Reply {
    /// A page read (or why not), for the result and view of `generation`, from row `start`.
    Page {
        generation: u64,
        start: u64,
        page: Result<Vec<Vec<Cell>>, QueryError>,
    },
    /// The catalog and the history.
    Catalog(Result<(Vec<CatalogTable>, Vec<String>), StoreError>),
}

/// The reader thread's end in the tab.
pub(super) struct PageReader {
    tx: Sender<Request>,
    rx: Receiver<Reply>,
    /// The page asked for and not read yet: (generation, start).
    pending: Option<(u64, u64)>,
    /// Whether the catalog was asked for and not read yet.
    catalog_pending: bool,
}

impl std::fmt::Debug for PageReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageReader")
            .field("pending", &self.pending)
            .field("catalog_pending", &self.catalog_pending)
            .finish_non_exhaustive()
    }
}

/// Answers `req` on `store`.
fn answer(store: &Store, req: Request) -> Reply {
    match req {
        Request::Page {
            generation,
            view,
            start,
            rows,
        } => Reply::Page {
            generation,
            start,
            page: store.result_page(&view, start, rows),
        },
        Request::Catalog { history } => Reply::Catalog(
            store
                .catalog()
                .and_then(|c| Ok((c, store.query_history(history)?))),
        ),
    }
}

impl PageReader {
    /// A reader on a new connection to `store`'s database (the thread ends with the tab).
    pub(super) fn start(store: &Store) -> Result<PageReader, StoreError> {
        let own = store.try_clone()?;
        let (tx, requests) = channel::<Request>();
        let (replies, rx) = channel::<Reply>();
        std::thread::Builder::new()
            .name("perx-ui-reads".into())
            .spawn(move || {
                while let Ok(first) = requests.recv() {
                    // Of the pages asked for meanwhile only the newest matters (a key held
                    // down asks for many); a catalog request is always answered.
                    let mut page = None;
                    let mut others = Vec::new();
                    for req in std::iter::once(first).chain(requests.try_iter()) {
                        match req {
                            Request::Page { .. } => page = Some(req),
                            other => others.push(other),
                        }
                    }
                    for req in others.into_iter().chain(page) {
                        if replies.send(answer(&own, req)).is_err() {
                            return;
                        }
                    }
                }
            })
            .map_err(|e| StoreError::Invalid(format!("could not start the UI's reader: {e}")))?;
        Ok(PageReader {
            tx,
            rx,
            pending: None,
            catalog_pending: false,
        })
    }

    /// Asks for `rows` rows of `view` from `start`, unless that page is being read already.
    pub(super) fn request(&mut self, generation: u64, view: &ResultView, start: u64, rows: usize) {
        if self.pending == Some((generation, start)) {
            return;
        }
        let sent = self.tx.send(Request::Page {
            generation,
            view: view.clone(),
            start,
            rows,
        });
        if sent.is_ok() {
            self.pending = Some((generation, start));
        }
    }

    /// Asks for the catalog and the `history` newest statements.
    pub(super) fn request_catalog(&mut self, history: usize) {
        if self.tx.send(Request::Catalog { history }).is_ok() {
            self.catalog_pending = true;
        }
    }

    /// Keeps `reply` if it answers what is still asked for.
    fn wanted(&mut self, reply: Reply) -> Option<Reply> {
        match &reply {
            Reply::Page {
                generation, start, ..
            } => {
                if self.pending != Some((*generation, *start)) {
                    return None;
                }
                self.pending = None;
            }
            Reply::Catalog(_) => self.catalog_pending = false,
        }
        Some(reply)
    }

    /// An answer that has come, if any (answers no longer wanted are passed over).
    pub(super) fn poll(&mut self) -> Option<Reply> {
        loop {
            match self.rx.try_recv() {
                Ok(reply) => {
                    if let Some(r) = self.wanted(reply) {
                        return Some(r);
                    }
                }
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => {
                    self.pending = None;
                    self.catalog_pending = false;
                    return None;
                }
            }
        }
    }

    /// Waits up to `limit` for the next wanted answer, while one is awaited.
    pub(super) fn wait(&mut self, limit: Duration) -> Option<Reply> {
        let deadline = Instant::now() + limit;
        while self.pending() {
            if let Some(r) = self.poll() {
                return Some(r);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            match self.rx.recv_timeout(left.min(Duration::from_millis(20))) {
                Ok(reply) => {
                    if let Some(r) = self.wanted(reply) {
                        return Some(r);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.pending = None;
                    self.catalog_pending = false;
                }
            }
        }
        None
    }

    /// Whether an answer is awaited.
    pub(super) fn pending(&self) -> bool {
        self.pending.is_some() || self.catalog_pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::output::cell_text;

    /// The next page the reader answers: (generation, start, rows).
    fn next_page(reader: &mut PageReader) -> (u64, u64, Vec<Vec<Cell>>) {
        match reader.wait(Duration::from_secs(30)) {
            Some(Reply::Page {
                generation,
                start,
                page,
            }) => (generation, start, page.unwrap()),
            _ => panic!("no page"),
        }
    }

    #[test]
    fn pages_are_read_off_the_ui_thread_and_stale_ones_dropped() {
        let store = Store::open(&crate::store::DbPath::Memory).unwrap();
        store
            .run_into_result("SELECT range AS x FROM range(1000)", false, &mut |_| {})
            .unwrap();
        let mut reader = PageReader::start(&store).unwrap();
        let view = ResultView::default();
        reader.request(1, &view, 500, 10);
        assert!(reader.pending());
        let (generation, start, page) = next_page(&mut reader);
        assert_eq!((generation, start), (1, 500));
        assert_eq!(page.len(), 10);
        assert_eq!(cell_text(&page[0][0]), "500");
        assert!(!reader.pending());
        // A newer request replaces an older one: only its answer is taken.
        reader.request(2, &view, 0, 5);
        reader.request(3, &view, 990, 5);
        let (generation, start, page) = next_page(&mut reader);
        assert_eq!((generation, start), (3, 990));
        assert_eq!(cell_text(&page[4][0]), "994");
        assert!(reader.poll().is_none());
        // The catalog and the history, once.
        reader.request_catalog(10);
        let Some(Reply::Catalog(Ok((catalog, _)))) = reader.wait(Duration::from_secs(30)) else {
            panic!("no catalog");
        };
        assert!(catalog.iter().any(|t| t.name == "campaign"));
        assert!(!reader.pending());
    }
}
