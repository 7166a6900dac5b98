//! Model files and "train on first use": the I/O around `core::recommend`.
//!
//! A model saved beside the database (`DB.model.bin`) is reused while the ratings in the
//! database are the ones it was trained on (same ratings file sha256 and row count);
//! otherwise it is retrained and saved again. A model file named explicitly is never
//! replaced: if it does not match the data, that is an error.
//!
//! The reward model (`DB.rewards.bin`) is kept the same way, keyed by the platform loads
//! of `load_manifest` (`Store::platform_loads`): any new load of the log or the CSV exports
//! makes it stale, and the next use refits it, tuning its parameters on the data (unless
//! `--no-tune`, which is a model of its own: asking for the other refits).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::core::recommend::codec::{self, ModelFileError};
use crate::core::recommend::{Model, Params, RecommendError};
use crate::core::rewards::codec as reward_codec;
use crate::core::rewards::tune as reward_tune;
use crate::core::rewards::{
    ByUser, RewardError, RewardModel, RewardParams, Tuning, TuningStatus, by_user,
};
use crate::store::rewards::LogEvents;
use crate::store::{DbPath, Store, StoreError};

/// Why a model could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Reading or writing the model file failed.
    #[error("{path}")]
    Io {
        /// The model file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The model file is not usable (named explicitly: one beside the database is
    /// retrained instead, see [`TrainReason::Unreadable`]).
    #[error("{path} cannot be used (train it again with `perx train --out {path}`)")]
    File {
        /// The model file.
        path: PathBuf,
        /// What is wrong with it.
        source: ModelFileError,
    },
    /// The model file was trained on other ratings than the database holds.
    #[error(
        "{path} was trained on other ratings ({model}) than the database holds ({data}): run `perx train --out {path}` to retrain it"
    )]
    Stale {
        /// The model file.
        path: PathBuf,
        /// What the model was trained on.
        model: String,
        /// What the database holds.
        data: String,
    },
    /// The database has no ratings.
    #[error(
        "the database has no MovieLens ratings: load them first with `perx movielens load --dir DIR`"
    )]
    NoRatings,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Training failed.
    #[error(transparent)]
    Recommend(#[from] RecommendError),
    /// Fitting the reward model failed.
    #[error(transparent)]
    Rewards(#[from] RewardError),
}

/// Where the model in use came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// Read from this file.
    Loaded(PathBuf),
    /// Trained just now.
    Trained {
        /// Seconds spent training.
        seconds: f64,
        /// Where it was saved, if anywhere.
        saved: Option<PathBuf>,
        /// Why it was trained.
        reason: TrainReason,
    },
}

/// Why a model was trained instead of read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrainReason {
    /// No model file yet.
    FirstUse,
    /// The ratings changed since the saved model was trained.
    DataChanged,
    /// The saved model was trained with other parameters (e.g. `--factors`).
    ParamsChanged,
    /// The saved model could not be read (old format, damaged): the message says why.
    Unreadable(String),
    /// Asked for (`perx train`).
    Asked,
}

impl TrainReason {
    /// Why a saved model could not be read: what is wrong with the file (it is retrained,
    /// so the advice of [`ModelError::File`] does not apply).
    fn unreadable(e: &ModelError) -> TrainReason {
        TrainReason::Unreadable(match e {
            ModelError::File { source, .. } => source.to_string(),
            other => crate::error_chain(other),
        })
    }
}

/// `DB` + `suffix`, the name of a file that goes with a database file; none for `:memory:`.
fn beside_db(db: &DbPath, suffix: &str) -> Option<PathBuf> {
    match db {
        DbPath::File(p) => {
            let mut name = p.as_os_str().to_owned();
            name.push(suffix);
            Some(PathBuf::from(name))
        }
        DbPath::Memory => None,
    }
}

/// The model file that goes with a database file; none for `:memory:`.
pub fn default_model_path(db: &DbPath) -> Option<PathBuf> {
    beside_db(db, ".model.bin")
}

/// The reward model file that goes with a database file; none for `:memory:`.
pub fn reward_model_path(db: &DbPath) -> Option<PathBuf> {
    beside_db(db, ".rewards.bin")
}

/// Reads a model file whole, refusing one larger than any model could be first.
fn read_model_bytes(path: &Path) -> Result<Vec<u8>, ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_owned(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > crate::limits::MAX_MODEL_BYTES {
        return Err(io(std::io::Error::other(format!(
            "{len} bytes is larger than any perx model ({} at most); train again with `perx train`",
            crate::limits::MAX_MODEL_BYTES
        ))));
    }
    std::fs::read(path).map_err(io)
}

/// Reads a model file.
pub fn load(path: &Path) -> Result<Model, ModelError> {
    codec::from_bytes(&read_model_bytes(path)?).map_err(|source| ModelError::File {
        path: path.to_owned(),
        source,
    })
}

/// Writes a model file atomically (a temporary file renamed over the target).
pub fn save(path: &Path, model: &Model) -> Result<(), ModelError> {
    write_atomically(path, &codec::to_bytes(model))
}

/// Writes `bytes` to `path` through [`crate::atomic`] (a synced temporary file renamed
/// over the target; a symbolic link followed), the one mechanism every file perx writes uses.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    crate::atomic::write(path, bytes).map_err(|source| ModelError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Trains a model on the database's ratings.
pub fn train(store: &Store, params: Params) -> Result<Model, ModelError> {
    let data_id = store.ml_data_id()?.ok_or(ModelError::NoRatings)?;
    let interactions = store.ml_interactions()?;
    if interactions.is_empty() {
        return Err(ModelError::NoRatings);
    }
    Ok(Model::fit(&interactions, params, &data_id)?)
}

/// The parameters a caller asks of the movie model: each one given must match the model's,
/// the others are whatever the saved model was trained with (`perx train --factors 128`
/// is then used by `perx recommend`, the TUI and the server alike, never retrained over
/// with the defaults).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wanted {
    /// Singular vectors kept, if asked for.
    pub factors: Option<usize>,
    /// The SVD's seed, if asked for.
    pub seed: Option<u64>,
}

impl Wanted {
    /// Any parameters: the saved model as it is (the TUI's and the server's wish).
    pub const ANY: Wanted = Wanted {
        factors: None,
        seed: None,
    };

    /// Whether a model trained with `p` is what was asked for.
    pub fn accepts(&self, p: &Params) -> bool {
        self.factors.is_none_or(|f| f == p.factors) && self.seed.is_none_or(|s| s == p.seed)
    }

    /// `base` with what was asked for put in.
    pub fn applied_to(&self, base: Params) -> Params {
        Params {
            factors: self.factors.unwrap_or(base.factors),
            seed: self.seed.unwrap_or(base.seed),
            ..base
        }
    }
}

/// The model for the database's ratings: `path` when given (it must match the data; its
/// own parameters are used), else the one beside the database when it was trained on these
/// ratings with what `wanted` asks; else trained (with the saved model's parameters and
/// `wanted`'s put in, or the defaults when there is none) and saved.
pub fn open_or_train(
    store: &Store,
    path: Option<&Path>,
    wanted: Wanted,
) -> Result<(Model, Origin), ModelError> {
    let data_id = store.ml_data_id()?.ok_or(ModelError::NoRatings)?;
    if let Some(path) = path {
        let model = load(path)?;
        if model.data_id != data_id {
            return Err(ModelError::Stale {
                path: path.to_owned(),
                model: model.data_id,
                data: data_id,
            });
        }
        return Ok((model, Origin::Loaded(path.to_owned())));
    }
    let default = default_model_path(store.path());
    let mut params = wanted.applied_to(Params::default());
    let reason = match default.as_deref() {
        Some(p) if p.exists() => match load(p) {
            Ok(model) if model.data_id == data_id && wanted.accepts(&model.params) => {
                return Ok((model, Origin::Loaded(p.to_owned())));
            }
            Ok(model) if model.data_id == data_id => TrainReason::ParamsChanged,
            Ok(model) => {
                // New ratings: the parameters the user chose carry over.
                params = wanted.applied_to(model.params);
                TrainReason::DataChanged
            }
            Err(e) => TrainReason::unreadable(&e),
        },
        _ => TrainReason::FirstUse,
    };
    let started = Instant::now();
    let model = train(store, params)?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(p) = &default {
        save(p, &model)?;
    }
    Ok((
        model,
        Origin::Trained {
            seconds,
            saved: default,
            reason,
        },
    ))
}

/// What the saved reward model beside the database is worth.
#[derive(Debug)]
pub enum SavedRewards {
    /// Fitted on the platform data now in the database, as wanted.
    Fresh(Box<RewardModel>, PathBuf),
    /// To be fitted again, for this reason.
    Stale(TrainReason),
}

/// How the reward model is wanted: tuned on the data (the default) or with the default
/// parameters (`--no-tune`), and whether a reward already issued may be recommended again
/// (which does not change the fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardsWanted {
    /// Choose the parameters on the data (`core::rewards::tune::fit_rewards`).
    pub tune: bool,
    /// Recommend a reward already issued to the user, too.
    pub repeatable: bool,
}

impl Default for RewardsWanted {
    fn default() -> Self {
        RewardsWanted {
            tune: true,
            repeatable: false,
        }
    }
}

/// The saved reward model, if it was fitted on the platform loads now in the database
/// the way `wanted` says (tuned, or with the defaults).
pub fn saved_rewards(store: &Store, wanted: RewardsWanted) -> Result<SavedRewards, ModelError> {
    let Some(path) = reward_model_path(store.path()) else {
        return Ok(SavedRewards::Stale(TrainReason::FirstUse));
    };
    if !path.exists() {
        return Ok(SavedRewards::Stale(TrainReason::FirstUse));
    }
    let loads = store.platform_loads()?;
    let read = read_model_bytes(&path).and_then(|bytes| {
        reward_codec::from_bytes(&bytes).map_err(|source| ModelError::File {
            path: path.clone(),
            source,
        })
    });
    let tuned = |m: &RewardModel| m.tuning().status != TuningStatus::Off;
    Ok(match read {
        Ok((model, id)) if id == loads && tuned(&model) == wanted.tune => {
            SavedRewards::Fresh(Box::new(model.with_repeatable(wanted.repeatable)), path)
        }
        Ok((_, id)) if id == loads => SavedRewards::Stale(TrainReason::ParamsChanged),
        Ok(_) => SavedRewards::Stale(TrainReason::DataChanged),
        Err(e) => SavedRewards::Stale(TrainReason::unreadable(&e)),
    })
}

/// What is saved of the reward model beside the database, as the Data tab shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum SavedRewardsNote {
    /// Nothing saved yet.
    None,
    /// The database is in memory: the model is fitted on use and never saved.
    InMemory,
    /// Saved: its parameters, how they were chosen, and whether it was fitted on the
    /// platform loads now in the database.
    Saved {
        /// The parameters.
        params: RewardParams,
        /// How they were chosen.
        tuning: Tuning,
        /// Fitted on the data now loaded.
        fresh: bool,
    },
    /// A file that cannot be read: why.
    Unreadable(String),
}

/// What the saved reward model says of itself, read from the start of its file only
/// (the header; the matrices are neither read nor checked).
pub fn saved_rewards_note(store: &Store) -> Result<SavedRewardsNote, ModelError> {
    use std::io::Read;
    let Some(path) = reward_model_path(store.path()) else {
        return Ok(SavedRewardsNote::InMemory);
    };
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SavedRewardsNote::None),
        Err(source) => return Err(ModelError::Io { path, source }),
    };
    let mut start = vec![0u8; 16];
    if let Err(e) = file.read_exact(&mut start) {
        return Ok(SavedRewardsNote::Unreadable(e.to_string()));
    }
    let need = match reward_codec::peek_len(&start) {
        Ok(n) if n as u64 <= crate::limits::MAX_MODEL_BYTES => n,
        Ok(n) => {
            return Ok(SavedRewardsNote::Unreadable(format!(
                "a header of {n} bytes"
            )));
        }
        Err(e) => return Ok(SavedRewardsNote::Unreadable(e.to_string())),
    };
    start.resize(need, 0);
    if let Err(e) = file.read_exact(&mut start[16..]) {
        return Ok(SavedRewardsNote::Unreadable(e.to_string()));
    }
    Ok(match reward_codec::peek(&start) {
        Ok((params, tuning, id)) => SavedRewardsNote::Saved {
            params,
            tuning,
            fresh: id == store.platform_loads()?,
        },
        Err(e) => SavedRewardsNote::Unreadable(e.to_string()),
    })
}

/// The log, read for the reward model, and its events by user.
pub type RewardLog = (LogEvents, ByUser);

/// Fits the reward model on the log and the mapping of `store` and saves it beside the
/// database (not for `:memory:`), marked with the platform loads read *before* the events
/// (so that a load in between makes the saved model stale rather than wrongly fresh).
/// Returns the log too, for callers that go on to use it.
pub fn fit_rewards(
    store: &Store,
    wanted: RewardsWanted,
    reason: TrainReason,
) -> Result<(RewardModel, Origin, RewardLog), ModelError> {
    let loads = store.platform_loads()?;
    let log = store.reward_events()?;
    let grouped = by_user(&log.events);
    let started = Instant::now();
    let mapping = store.mapping_list()?;
    let model = reward_tune::fit_rewards(&grouped, &mapping, wanted.tune)?
        .with_repeatable(wanted.repeatable);
    let seconds = started.elapsed().as_secs_f64();
    let saved = reward_model_path(store.path());
    if let Some(p) = &saved {
        write_atomically(p, &reward_codec::to_bytes(&model, &loads))?;
    }
    let origin = Origin::Trained {
        seconds,
        saved,
        reason,
    };
    Ok((model, origin, (log, grouped)))
}

/// The reward model for the platform data of `store`: the saved one when it is fresh,
/// else fitted on the log and saved.
pub fn open_or_fit_rewards(
    store: &Store,
    wanted: RewardsWanted,
) -> Result<(RewardModel, Origin), ModelError> {
    match saved_rewards(store, wanted)? {
        SavedRewards::Fresh(model, path) => Ok((*model, Origin::Loaded(path))),
        SavedRewards::Stale(reason) => {
            let (model, origin, _) = fit_rewards(store, wanted, reason)?;
            Ok((model, origin))
        }
    }
}
