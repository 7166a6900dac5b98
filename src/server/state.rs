//! What `perx serve` answers from: a pool of read connections to the database, the models
//! loaded once, a cache of answers; and reloading them all when the database's loads
//! changed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use super::{Log, ServerError};
use crate::core::recommend::Recommender;
use crate::core::rewards::RewardModel;
use crate::progress::NoProgress;
use crate::recommender::{self, ModelError};
use crate::store::recommend::MovieInfo;
use crate::store::{DbPath, Store};

/// Connections to one database, lent to one blocking task at a time.
///
/// A permit and a connection travel together: the task that runs a request owns both and
/// gives them back when it ends, however it ends (a [`Lent`] is dropped on return, on panic
/// and when the request gave up waiting), so the pool never holds fewer idle connections
/// than free permits. A request that stops waiting (its timeout) interrupts its query.
pub struct Pool {
    idle: Mutex<Vec<Store>>,
    permits: Arc<tokio::sync::Semaphore>,
    size: usize,
}

/// A connection and its permit, out of the pool until dropped.
struct Lent {
    pool: Arc<Pool>,
    store: Option<Store>,
    /// Released after the connection is back (fields drop after `Drop::drop`).
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            // A poisoned lock still holds a valid list: a panic cannot leave it half-pushed.
            let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
            idle.push(store);
        }
    }
}

/// Interrupts the lent connection's statement when the request stops waiting for it.
struct InterruptOnDrop(Option<crate::store::Interrupt>);

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.interrupt();
        }
    }
}

impl Pool {
    fn new(first: Store, size: usize) -> Result<Pool, ServerError> {
        let mut idle = Vec::with_capacity(size);
        for _ in 1..size.max(1) {
            idle.push(first.try_clone()?);
        }
        idle.push(first);
        Ok(Pool {
            permits: Arc::new(tokio::sync::Semaphore::new(idle.len())),
            size: idle.len(),
            idle: Mutex::new(idle),
        })
    }

    /// (idle connections, free permits, size): equal thirds when nothing is running.
    pub fn status(&self) -> (usize, usize, usize) {
        let idle = self.idle.lock().map(|v| v.len()).unwrap_or(0);
        (idle, self.permits.available_permits(), self.size)
    }

    /// Runs `f` with a connection on a blocking thread (never on the async executor).
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Store) -> T + Send + 'static,
    ) -> Result<T, ServerError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| ServerError::Pool("the connection pool is closed"))?;
        let store = self
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .ok_or(ServerError::Pool(
                "no idle connection with a free permit (a bug: please report it)",
            ))?;
        let mut stop = InterruptOnDrop(Some(store.interrupt_handle()));
        let lent = Lent {
            pool: Arc::clone(self),
            store: Some(store),
            _permit: permit,
        };
        let out = tokio::task::spawn_blocking(move || {
            let lent = lent;
            lent.store.as_ref().map(f)
        })
        .await;
        // Finished (or panicked): nothing left to interrupt.
        stop.0 = None;
        out.map_err(|e| ServerError::Task(e.to_string()))?
            .ok_or(ServerError::Pool(
                "a lent connection was missing (a bug: please report it)",
            ))
    }
}

/// The movie recommender with what its answers need.
pub struct Movies {
    pub rec: Recommender,
    pub titles: HashMap<u32, MovieInfo>,
    pub known: HashSet<u32>,
}

/// Everything the answers come from, for one state of the database.
pub struct Data {
    pub pool: Arc<Pool>,
    pub movies: Option<Arc<Movies>>,
    pub rewards: Option<RewardModel>,
    /// The connection `--ingest` writes through (one at a time).
    writer: Arc<Mutex<Option<Store>>>,
    /// The newest ingest batch in the database, and the one the reward model was fitted
    /// with (both none before any ingest).
    pub batches: (Option<i64>, Option<i64>),
    /// What the database holds: its platform loads and its ratings; a reload that finds the
    /// same keeps this state.
    pub loads: String,
    /// The file's identity (device, inode) when opened: a file moved into place is new.
    file: Option<(u64, u64)>,
    /// Whole answers by request (route and parameters), until the next reload.
    pub cache: Mutex<Cache>,
}

/// Answers by request, and the bytes they hold.
#[derive(Default)]
pub struct Cache {
    answers: HashMap<String, axum::body::Bytes>,
    bytes: usize,
}

/// Bytes of answers cached at most: clients choose k and the filters, so the cache is
/// bounded by what it holds, not by how many keys there are.
const CACHE_BYTES: usize = 64 << 20;

impl Cache {
    /// Keeps an answer; the cache is emptied when it would hold more than `limit` bytes
    /// (answers are cheap to recompute), and an answer over a sixteenth of it is not kept.
    fn keep(&mut self, key: String, body: axum::body::Bytes, limit: usize) {
        let size = key.len() + body.len();
        if size > limit / 16 {
            return;
        }
        if self.bytes + size > limit {
            self.answers.clear();
            self.bytes = 0;
        }
        let key_len = key.len();
        if let Some(old) = self.answers.insert(key, body) {
            self.bytes = self.bytes.saturating_sub(key_len + old.len());
        }
        self.bytes += size;
    }
}

impl Data {
    /// A cached answer.
    pub fn cached(&self, key: &str) -> Option<axum::body::Bytes> {
        self.cache.lock().ok()?.answers.get(key).cloned()
    }

    /// Keeps an answer.
    pub fn keep(&self, key: String, body: axum::body::Bytes) {
        if let Ok(mut c) = self.cache.lock() {
            c.keep(key, body, CACHE_BYTES);
        }
    }
}

/// The file's (device, inode).
fn file_id(path: &DbPath) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    match path {
        DbPath::File(p) => std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino())),
        DbPath::Memory => None,
    }
}

/// What the database holds, as one string: the platform loads and the ratings' identity.
fn loads_of(store: &Store) -> Result<String, ServerError> {
    Ok(format!(
        "{}|ml:{}",
        store.platform_loads()?,
        store.ml_data_id()?.unwrap_or_default()
    ))
}

/// Opens the database and loads the models (training or fitting them when their saved
/// files are missing or stale), and builds the session browser's cache when needed. A
/// reload (`existing`) opens only a perx database that is there: never a new empty one.
pub fn load(
    path: &DbPath,
    pool_size: usize,
    existing: bool,
    log: &dyn Fn(String),
) -> Result<Data, ServerError> {
    let file = file_id(path);
    let store = if existing {
        Store::open_existing(path)
    } else {
        Store::open(path)
    }
    .map_err(ServerError::Open)?;
    let loads = loads_of(&store)?;
    let started = Instant::now();
    let movies = match recommender::open_or_train(&store, None, recommender::Wanted::ANY) {
        Ok((model, origin)) => {
            let rec = Recommender::new(model);
            rec.prepare();
            if let recommender::Origin::Trained { seconds, .. } = origin {
                log(format!("trained the movie recommender in {seconds:.2} s"));
            }
            Some(Arc::new(Movies {
                rec,
                titles: store.ml_movies()?,
                known: store.ml_user_ids()?.into_iter().collect(),
            }))
        }
        Err(ModelError::NoRatings) => {
            log("no MovieLens ratings: the movie routes answer 404".into());
            None
        }
        Err(e) => return Err(e.into()),
    };
    let rewards = if store.http_log_rows(1)?.is_empty() {
        log("no HTTP log: the reward and sessions routes answer 404".into());
        None
    } else {
        let (model, _) =
            recommender::open_or_fit_rewards(&store, recommender::RewardsWanted::default())?;
        if let Some(n) = store.ensure_sessions_table(&NoProgress)? {
            log(format!("built the sessions table: {n} sessions"));
        }
        Some(model)
    };
    // The cache and nothing else was written: into the file now, so that no write-ahead
    // log is left beside it (a database moved over this file must not meet it).
    store.checkpoint()?;
    log(format!(
        "models ready in {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    let batch = last_batch(&store)?;
    let writer = Arc::new(Mutex::new(Some(store.try_clone()?)));
    Ok(Data {
        pool: Arc::new(Pool::new(store, pool_size)?),
        movies,
        rewards,
        writer,
        batches: (batch, batch),
        loads,
        file,
        cache: Mutex::new(Cache::default()),
    })
}

/// The newest ingest batch of `store`.
fn last_batch(store: &Store) -> Result<Option<i64>, ServerError> {
    Ok(store.ingest_batches()?.first().map(|b| b.id))
}

/// What `perx serve --ingest` watches.
#[derive(Debug, Clone)]
pub struct IngestWatch {
    /// Where new log files appear.
    pub places: Vec<crate::store::ingest::Place>,
    /// How often to look.
    pub every: std::time::Duration,
    /// Refit the reward model after each batch (else it keeps the data it was fitted on,
    /// and `/readyz` says which).
    pub refit: bool,
}

/// Ingests what is new in `watch`'s places through `data`'s writer, and returns the state
/// to serve next (none when nothing was new): the same connections and models, the session
/// browser's cache rebuilt, the reward model refitted when asked, an empty answer cache.
fn ingest_into(
    data: &Data,
    watch: &IngestWatch,
    log: &dyn Fn(String),
) -> Result<Option<Data>, ServerError> {
    let mut guard = data.writer.lock().unwrap_or_else(|p| p.into_inner());
    let Some(store) = guard.as_mut() else {
        return Err(ServerError::Pool("the ingest connection is missing"));
    };
    let report = store
        .ingest_places(
            &watch.places,
            &crate::store::ingest::IngestOptions::default(),
            &NoProgress,
        )
        .map_err(|e| ServerError::Ingest(Box::new(e)))?;
    let Some(batch) = report.batch else {
        return Ok(None);
    };
    log(format!(
        "ingested batch {batch}: {} rows, {} rejected, in {:.2} s",
        report.rows, report.rejected, report.seconds
    ));
    if let Some(u) = report.sessions {
        log(format!(
            "sessions: {} user(s) sessionised again, {} stored session(s) replaced by {}, in {:.2} s",
            u.users, u.replaced, u.written, u.seconds
        ));
    }
    if let Some(n) = store.ensure_sessions_table(&NoProgress)? {
        log(format!("rebuilt the sessions table: {n} sessions"));
    }
    let (rewards, fitted) = if watch.refit || data.rewards.is_none() {
        let (model, _) =
            recommender::open_or_fit_rewards(store, recommender::RewardsWanted::default())?;
        log("refitted the reward model".into());
        (Some(model), Some(batch))
    } else {
        (data.rewards.clone(), data.batches.1)
    };
    let loads = loads_of(store)?;
    store.checkpoint()?;
    Ok(Some(Data {
        pool: Arc::clone(&data.pool),
        movies: data.movies.clone(),
        rewards,
        writer: Arc::clone(&data.writer),
        batches: (Some(batch), fitted),
        loads,
        file: data.file,
        cache: Mutex::new(Cache::default()),
    }))
}

/// The state being served, replaced whole by a reload.
pub struct Served {
    pub path: DbPath,
    pub pool_size: usize,
    pub data: RwLock<Option<Arc<Data>>>,
    /// One reload at a time.
    pub reloading: tokio::sync::Mutex<()>,
}

/// What a reload did.
#[derive(Debug, serde::Serialize)]
pub struct Reloaded {
    pub reloaded: bool,
    pub reason: String,
    pub seconds: f64,
}

impl Served {
    pub fn new(path: DbPath, pool_size: usize) -> Served {
        Served {
            path,
            pool_size,
            data: RwLock::new(None),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// The state now (None while starting).
    pub fn current(&self) -> Option<Arc<Data>> {
        self.data.read().ok()?.clone()
    }

    fn set(&self, data: Data) {
        if let Ok(mut d) = self.data.write() {
            *d = Some(Arc::new(data));
        }
    }

    /// Loads the first state.
    pub async fn start(self: &Arc<Self>, log: Log) -> Result<(), ServerError> {
        let me = Arc::clone(self);
        let data = tokio::task::spawn_blocking(move || load(&me.path, me.pool_size, false, &log))
            .await
            .map_err(|e| ServerError::Task(e.to_string()))??;
        self.set(data);
        Ok(())
    }

    /// Ingests what is new in `watch`'s places (`perx serve --ingest`) and serves the new
    /// state: requests in flight finish on the old one, the next ones see the new rows.
    /// Not at the same time as a reload. Returns whether a batch was ingested.
    pub async fn ingest(
        self: &Arc<Self>,
        watch: &IngestWatch,
        log: Log,
    ) -> Result<bool, ServerError> {
        let _one = self.reloading.lock().await;
        let Some(data) = self.current() else {
            return Ok(false);
        };
        let watch = watch.clone();
        let next = tokio::task::spawn_blocking(move || ingest_into(&data, &watch, &log))
            .await
            .map_err(|e| ServerError::Task(e.to_string()))??;
        let ingested = next.is_some();
        if let Some(d) = next {
            self.set(d);
        }
        Ok(ingested)
    }

    /// Re-reads the database when it changed: a file moved into place at the path (the
    /// way to publish new loads while serving, as this process holds the database's lock)
    /// whose loads differ. Requests keep being answered from the old state meanwhile.
    pub async fn reload(self: &Arc<Self>, log: Log) -> Result<Reloaded, ServerError> {
        let _one = self.reloading.lock().await;
        let started = Instant::now();
        let old = self.current();
        let now_file = file_id(&self.path);
        if let Some(old) = &old
            && old.file == now_file
        {
            return Ok(Reloaded {
                reloaded: false,
                reason: "the database file is the one being served".into(),
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        let me = Arc::clone(self);
        let data = tokio::task::spawn_blocking(move || load(&me.path, me.pool_size, true, &log))
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?
            .map_err(|e| ServerError::Reload(Box::new(e)))?;
        if let Some(old) = &old
            && old.loads == data.loads
        {
            // Same loads in a new file: serve the new file (the old one may be gone).
            self.set(data);
            return Ok(Reloaded {
                reloaded: false,
                reason: "a new database file with the same loads".into(),
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        self.set(data);
        Ok(Reloaded {
            reloaded: true,
            reason: "the database's loads changed".into(),
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_cache_is_bounded_by_bytes() {
        let mut c = Cache::default();
        let body = |n: usize| axum::body::Bytes::from(vec![b'x'; n]);
        for i in 0..100 {
            c.keep(format!("k{i:02}"), body(97), 1600);
            assert!(c.bytes <= 1600, "{} bytes", c.bytes);
        }
        assert!(c.answers.len() <= 16 && !c.answers.is_empty());
        // The same key again is counted once.
        let before = c.bytes;
        c.keep("k99".into(), body(97), 1600);
        assert_eq!(c.bytes, before);
        // An answer over a sixteenth of the limit is not kept.
        c.keep("big".into(), body(200), 1600);
        assert!(!c.answers.contains_key("big"));
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    fn pool(size: usize) -> Arc<Pool> {
        Arc::new(Pool::new(Store::open(&DbPath::Memory).unwrap(), size).unwrap())
    }

    /// Waits (at most 10 s) until every connection is back with its permit.
    async fn whole(pool: &Pool) {
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while pool.status() != (pool.size, pool.size, pool.size) {
            assert!(Instant::now() < deadline, "pool {:?}", pool.status());
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// A request that stops waiting interrupts its query, and its connection comes back
    /// with its permit: no later request finds a permit without a connection.
    #[test]
    fn a_timed_out_request_interrupts_its_query_and_gives_the_connection_back() {
        runtime().block_on(async {
            let pool = pool(1);
            let started = Instant::now();
            let slow = pool.run(|store| {
                let mut rows = crate::report::Collected::default();
                store
                    .run_statement(
                        "SELECT count(*) FROM range(100000000000) a WHERE a % 7 = 3",
                        false,
                        &mut rows,
                    )
                    .map(|_| ())
            });
            let timed_out = tokio::time::timeout(std::time::Duration::from_millis(50), slow).await;
            assert!(timed_out.is_err(), "the query should outlast 50 ms");
            whole(&pool).await;
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "interrupted, not run to its end"
            );
            for _ in 0..20 {
                let n = pool.run(|_| 1).await.unwrap();
                assert_eq!(n, 1);
            }
            whole(&pool).await;
        });
    }

    #[test]
    fn a_panic_in_a_task_loses_no_connection() {
        runtime().block_on(async {
            let pool = pool(2);
            for _ in 0..5 {
                let r = pool.run(|_| -> u8 { panic!("boom") }).await;
                assert!(r.is_err());
            }
            whole(&pool).await;
            assert_eq!(pool.run(|_| 7).await.unwrap(), 7);
        });
    }
}
