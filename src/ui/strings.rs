//! Every string the terminal UI shows, in one place, except what the keys do: that is
//! written beside each key in the keymaps (see `keymap.rs`), from which the help is printed.

/// The footer's reminder of the main keys, with `tabs` tabs.
pub fn footer(tabs: usize) -> String {
    format!(" 1-{tabs}/Tab switch · ↑↓/jk move · x export CSV · y copy row · ? help · q quit ")
}

/// The footer while a text field has the keys.
pub const EDITING_FOOTER: &str = " typing · Enter applies · Esc leaves the field · Ctrl-C quits ";

/// After the job's status in the footer.
pub const ESC_CANCELS: &str = " · Esc cancels";

/// `y` copied a row.
pub const COPIED: &str = " Copied the selected row to the clipboard (tab-separated).";
/// `c` copied a cell.
pub const COPIED_CELL: &str = " Copied the cell to the clipboard.";
/// `y` with no row selected.
pub const NOTHING_TO_COPY: &str = " No row selected to copy.";

/// A job was cancelled with Esc.
pub fn cancelled(label: &str) -> String {
    format!(" Cancelled: {label}.")
}

/// A job's thread died without a result.
pub fn job_lost(label: &str, why: Option<&str>) -> String {
    let why = why.map_or(String::new(), |w| format!(" ({w})"));
    format!(
        "The background job ({label}) stopped without a result{why}. This is a bug in perx; \
         please report it. Switching tabs or pressing the key again retries."
    )
}

/// A job ran past the limit of `App::wait_idle`.
pub fn job_timed_out(label: &str, limit: std::time::Duration) -> String {
    format!(
        "The background job ({label}) took more than {} s and was cancelled.",
        limit.as_secs()
    )
}

/// When the current view has nothing to export.
pub const NOTHING_TO_EXPORT: &str = " Nothing to export in this view yet.";

/// Where an export went.
pub fn exported(e: &super::tabs::Exported) -> String {
    match &e.meta {
        Some(meta) => format!(
            " Exported {} rows to {} (provenance: {})",
            e.rows,
            e.path.display(),
            meta.display()
        ),
        None => format!(" Exported {} rows to {}", e.rows, e.path.display()),
    }
}

/// `n` with thousands separators: 3,661,896.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Title of the help overlay.
pub const HELP_TITLE: &str = " Keys ";

/// Title of a help overlay taller than the screen.
pub fn help_title_scrolled(first: usize, last: usize, of: usize) -> String {
    format!(" Keys {first}-{last} of {of} (↑↓ PgUp PgDn scroll) ")
}
/// Title of the error popup.
pub const ERROR_TITLE: &str = " Error (Esc closes) ";

/// Weekly tab.
pub mod weekly {
    /// Block title.
    pub const TITLE: &str =
        " Redeemed rewards per ISO week (Asia/Singapore), change vs previous week ";
    /// When the report has no rows.
    pub const EMPTY: &str = "No redeemed reward transactions loaded.";
    /// The key hint.
    pub const HINT: &str = "/ filter by reward name · s order · ↑↓ choose the reward charted below";
    /// Prompt.
    pub const TYPE_REWARD: &str = "Reward name (empty for all), Enter:";
    /// Before the filter.
    pub const FILTERED: &str = "Only";
    /// Row orders, in the title.
    pub const BY_REWARD: &str = "by reward and week";
    /// Row orders, in the title.
    pub const BY_CHANGE: &str = "largest change first";
    /// Row orders, in the title.
    pub const BY_COUNT: &str = "most redeemed first";
    /// Title of the chart.
    pub fn chart_title(reward: &str) -> String {
        format!(" Redeemed per ISO week: {reward} ")
    }
}

/// Recommend tab.
pub mod recommend {
    /// Title of the input field.
    pub const INPUT_TITLE: &str = " MovieLens user id (type digits, Enter) ";
    /// Input title when the field does not have focus.
    pub const INPUT_TITLE_UNFOCUSED: &str = " MovieLens user id (i or / to edit) ";
    /// Before the first query.
    pub const HINT: &str = "Type a user id and press Enter.";
    /// Block title of the list.
    pub const LIST_TITLE: &str = " Recommended ";
    /// Block title of the user's own ratings.
    pub const RATED_TITLE: &str = " Their highest-rated ";
    /// A non-digit was typed.
    pub const DIGITS_ONLY: &str = "User ids are digits only.";
    /// The background job that loads the model.
    pub const LOADING: &str = "loading the recommender";
    /// Under the field while it loads.
    pub const LOADING_NOTE: &str =
        "Loading the recommender (it is trained and saved on first use, about a second on ML-1M)…";
    /// Loading was cancelled.
    pub const CANCELLED: &str = "Cancelled. Press Enter to try again.";
    /// The database has no ratings.
    pub const NO_RATINGS: &str =
        "No MovieLens ratings loaded: run `perx movielens load --dir DIR` first.";

    /// Title of the input field, rewards.
    pub const REWARDS_INPUT_TITLE: &str = " Platform user id (type digits, Enter; Ctrl-T: movies) ";
    /// Title of the input field, rewards, without focus.
    pub const REWARDS_INPUT_TITLE_UNFOCUSED: &str =
        " Platform user id (i to edit; Ctrl-T: movies) ";
    /// The hint, rewards.
    pub const HINT_REWARDS: &str =
        "Type a log user id (u in Sessions opens one), Enter · Ctrl-T: movies";
    /// The job of fitting the reward model.
    pub const FITTING_REWARDS: &str = "fitting the reward recommender on the log";
    /// While the reward model is fitted.
    pub const FITTING_NOTE: &str = "Fitting the reward recommender on the log (Esc cancels)…";

    /// A note of the answers (lower case, no stop, as the CLI prints it) as a sentence.
    pub fn sentence(note: &str) -> String {
        let mut chars = note.chars();
        let mut out: String = chars
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
            .unwrap_or_default();
        out.push_str(chars.as_str());
        if !out.ends_with('.') {
            out.push('.');
        }
        out
    }

    /// Where a recommended reward came from, in the list's "from" column.
    pub fn reward_source(source: crate::core::rewards::RewardSource) -> &'static str {
        use crate::core::rewards::RewardSource;
        match source {
            RewardSource::Model => "model",
            RewardSource::ViewedCampaigns => "viewed campaign",
            RewardSource::Popular => "most issued",
        }
    }

    /// A user id the log does not have.
    pub fn rewards_unknown_user(user: &str) -> String {
        format!("User {user} is not in the HTTP log: the most issued rewards.")
    }

    /// Title of the rewards list.
    pub fn rewards_title(user: &str) -> String {
        format!(" Rewards for user {user} ")
    }

    /// The rewards list's bottom line: how the model's parameters were chosen (with `e`,
    /// the parameters too).
    pub fn rewards_model(model: &crate::core::rewards::RewardModel, explain: bool) -> String {
        use crate::core::rewards::TuningStatus;
        let t = model.tuning();
        let how = match t.status {
            TuningStatus::Tuned => format!(
                "model tuned on this data: NDCG@{} {:.3} on the last {:.1} h (defaults {:.3})",
                t.k,
                t.chosen_ndcg.unwrap_or(0.0),
                t.window_hours,
                t.defaults_ndcg.unwrap_or(0.0)
            ),
            TuningStatus::TooShort => {
                "model: default parameters (the log is too short to tune)".to_owned()
            }
            TuningStatus::Off => "model: default parameters".to_owned(),
        };
        if explain {
            let p = model.params();
            format!(
                " {how}; views {}, half-life {} d, ridge {}, γ {} ",
                p.view_weight, p.half_life_days, p.ridge, p.popularity
            )
        } else {
            format!(" {how} ")
        }
    }

    /// The unknown-user message.
    pub fn unknown_user(user: u32) -> String {
        format!("User {user} is not in the MovieLens data.")
    }

    /// The popularity-fallback note.
    pub fn fallback(ratings: usize) -> String {
        format!(
            "This user has {ratings} rating(s), too few for the model: most popular movies shown."
        )
    }
}

/// Data tab.
pub mod data {
    /// Block title of the table counts.
    pub const TABLES_TITLE: &str = " Tables ";
    /// Block title of the sources.
    pub const SOURCES_TITLE: &str = " Sources (last load, newest ingests) ";
    /// Block title of the rejects.
    pub const REJECTS_TITLE: &str = " Rejected lines ";
    /// No rejects.
    pub const NO_REJECTS: &str = "No line was rejected.";
    /// The background job of `r`.
    pub const RELOADING: &str = "reloading the data";
    /// `r` with no recorded sources.
    pub const NOTHING_TO_RELOAD: &str = "Nothing was loaded from files yet, so there is nothing to reload. Load data with `perx load --data DIR`.";
    /// What a reload did.
    pub fn reloaded(r: &crate::store::reload::Reloaded) -> String {
        let mut from: Vec<String> = r.dirs.iter().map(|d| d.display().to_string()).collect();
        from.extend(r.ratings.iter().map(|p| p.display().to_string()));
        format!(
            " Reloaded {} rows ({} rejected) from {} in {:.1} s",
            r.rows,
            r.rejected,
            from.join(", "),
            r.seconds
        )
    }
    /// A reload failed.
    pub fn reload_failed(e: &str) -> String {
        format!("Reloading failed; the tables keep their earlier rows. {e}")
    }
    /// An ingest failed.
    pub fn ingest_failed(e: &str) -> String {
        format!("Ingesting failed; nothing was changed. {e}")
    }
    /// The background job of `i`.
    pub const INGESTING: &str = "ingesting new log files";
    /// What an ingest did.
    pub fn ingested(r: &crate::store::ingest::IngestReport) -> String {
        match r.batch {
            Some(b) => format!(
                " Ingested batch {b}: {} rows ({} rejected) from {} file(s) in {:.1} s",
                r.rows,
                r.rejected,
                r.files
                    .iter()
                    .filter(|f| matches!(f, crate::store::ingest::FileOutcome::Taken { .. }))
                    .count(),
                r.seconds
            ),
            None => format!(
                " Nothing new to ingest ({} file(s) looked at)",
                r.files.len()
            ),
        }
    }
    /// An ingest batch in the sources table.
    pub fn batch(id: i64, files: i32, batches: usize) -> String {
        format!("ingest batch {id} of {batches} ({files} file(s))")
    }
    /// Block title of the reward model line.
    pub const MODEL_TITLE: &str = " Reward model (DB.rewards.bin) ";
    /// What is saved of the reward model.
    pub fn reward_model(note: &crate::recommender::SavedRewardsNote) -> String {
        use crate::recommender::SavedRewardsNote as N;
        match note {
            N::None => "Not fitted yet: the Recommend tab, `perx recommend --catalog rewards` or `perx train --catalog rewards` fits it (tuned on the data).".to_owned(),
            N::InMemory => "The database is in memory: the model is fitted when first used (tuned on the data) and not saved.".to_owned(),
            N::Saved {
                params,
                tuning,
                fresh,
            } => format!(
                "{}{}. {params}",
                if *fresh {
                    ""
                } else {
                    "Fitted on earlier loads (refitted on next use): "
                },
                tuning.describe()
            ),
            N::Unreadable(e) => format!("The saved file cannot be read ({e}): it is refitted on next use."),
        }
    }
}

/// Engagement tab.
pub mod engagement {
    /// Block title of the campaign list.
    pub const CAMPAIGNS_TITLE: &str = " Campaigns (c) ";
    /// Block title of the calendar.
    pub const CALENDAR_TITLE: &str = " Dates, SGT (d) ";
    /// Before the range.
    pub const RANGE: &str = "Range:";
    /// Before the UTC interval.
    pub const UTC: &str = "Queried in UTC:";
    /// While typing dates.
    pub const TYPE_PROMPT: &str = "Type FROM TO as YYYY-MM-DD YYYY-MM-DD, Enter:";
    /// A typed range that does not parse.
    pub const BAD_TYPED: &str = "Dates are YYYY-MM-DD, one or two of them (Esc cancels).";
    /// After Enter on a start day.
    pub const PICK_END: &str = "Enter on the end day; start:";
    /// The hint under the range.
    pub const HINT: &str =
        "d dates · Enter×2 start, end · a w m presets · t type · r results · s order";
    /// Block title of the results.
    pub const TABLE_TITLE: &str = " Busiest date-hours ";
    /// Result order, in the title.
    pub const BY_RANK: &str = "by rank, s: by time";
    /// Result order, in the title.
    pub const BY_TIME: &str = "by time, s: by rank";
    /// Block title of the chart.
    pub const CHART_TITLE: &str = " Transactions by hour of day (SGT) ";
    /// No transactions loaded.
    pub const NO_DATA: &str = "No reward transactions loaded.";
    /// `/` found no campaign.
    pub const NO_MATCH: &str = "No campaign id or name contains that.";
}

/// Sessions tab.
pub mod sessions {
    /// Block title.
    pub const TITLE: &str = " Sessions ";
    /// After the count.
    pub const MATCHING: &str = "sessions";
    /// … and when there is one.
    pub const MATCHING_ONE: &str = "session";
    /// Before the sort.
    pub const SORTED_BY: &str = "sorted by";
    /// No filter.
    pub const NO_FILTER: &str = "no filter";
    /// The key hint.
    pub const HINT: &str =
        "/ c w t: user, campaign, reward, days · d driven · s sort · Enter · u recommend";
    /// Prompts.
    pub const TYPE_USER: &str = "User id (empty for all), Enter:";
    /// Prompts.
    pub const TYPE_CAMPAIGN: &str = "Campaign id (empty for all), Enter:";
    /// Prompts.
    pub const TYPE_REWARD: &str = "Reward id (empty for all), Enter:";
    /// Prompts.
    pub const TYPE_DAYS: &str = "Started in SGT: 2024-01-01, 2024-01-01..2024-01-07 or 2024-01-01 08:00..2024-01-01 12:00 (empty: all), Enter:";
    /// A typed id that is not a number.
    pub const BAD_ID: &str = "Ids are numbers (Esc clears the filters).";
    /// Typed days that are not a range.
    pub const BAD_DAYS: &str = "Times are YYYY-MM-DD or YYYY-MM-DD HH:MM, as FROM..TO with FROM first (Esc clears the filters).";
    /// The background job that builds the sessions table.
    pub const BUILDING: &str = "building the sessions table";
    /// The background job that exports.
    pub const EXPORTING: &str = "exporting sessions";
    /// The background job that stores the sessions table in a new order.
    pub const SORTING: &str = "ordering the sessions";
    /// Shown while it runs.
    pub const SORTING_NOTE: &str =
        "Storing the sessions in this order, once, so its pages read fast…";
    /// Shown while the sessions table is built.
    pub const BUILDING_NOTE: &str = "Sessionising the HTTP log: the sessions table was not current \
         (a database of an older perx, or a load stopped before it); loads and ingests keep it \
         current after this…";
    /// The sessions table was not built (cancelled or failed).
    pub const NOT_BUILT: &str = "The sessions table is not built. Press Enter to build it.";
    /// `u` on a session whose user id is not a MovieLens id.
    pub fn not_a_movielens_id(user: &str) -> String {
        format!(
            "User {user} cannot be a MovieLens user id (those are numbers up to 4294967295), \
             so there are no ratings to recommend from."
        )
    }
    /// Detail popup title.
    pub const DETAIL_TITLE: &str = "Requests of user";
    /// Before the mapping rows that made a session reward-driven.
    pub const DRIVEN_BY: &str = "reward-driven by mapping rows:";
    /// Under a session that is not reward-driven.
    pub const NOT_DRIVEN: &str = " not reward-driven ";
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(3_661_896), "3,661,896");
    }
}

/// Query tab.
pub mod query {
    /// The editor's title.
    pub const EDITOR_TITLE: &str = " SQL (Ctrl-J or F5 runs the statement under the cursor) ";
    /// The catalog's title.
    pub const CATALOG_TITLE: &str = " Tables (F2) ";
    /// The grid's title.
    pub const RESULT_TITLE: &str = " Result ";
    /// The grid while the rest of the result is stored.
    pub const PREVIEW_TITLE: &str = " First rows · storing the rest (Esc cancels) ";
    /// The title of a cell shown whole.
    pub const CELL_TITLE: &str = " Cell (Esc closes) ";
    /// Before anything ran.
    pub const NO_RESULT: &str =
        "Type a query above and press Ctrl-J (or F5). Esc leaves the editor; F2 shows the tables.";
    /// The empty editor.
    pub const PLACEHOLDER: &str = "SELECT event_kind, count(*) FROM http_log GROUP BY ALL";
    /// The hint line.
    pub const HINT: &str = "Ctrl-J run · Tab complete · Ctrl-R history · Esc grid · in the grid: s sort · / filter · F frequency · Enter cell · x/J export";
    /// The job's label.
    pub const RUNNING: &str = "running the statement";
    /// The job's label.
    pub const SORTING: &str = "sorting and filtering the result";
    /// The job's label.
    pub const COUNTING: &str = "counting the values";
    /// The background job of a column summary.
    pub const SUMMARISING: &str = "summarising the column";
    /// A summary of a column with too many distinct values to rank.
    pub const TOO_MANY_TO_RANK: &str =
        "top values: not ranked (about as many values as rows; F counts them exactly)";
    /// Tab in a string with no file name to complete.
    pub const NO_PATH_COMPLETION: &str = "No file or folder here starts with that.";
    /// The background job that opens a file.
    pub const OPENING: &str = "opening the file";
    /// A file opened as a view.
    pub fn opened(name: &str, create: &str) -> String {
        format!("Opened as the view {name} (this session's): {create}")
    }
    /// The background job of a chart.
    pub const CHARTING: &str = "charting the result";
    /// Under a chart.
    pub const CHART_HINT: &str = "b bar · l line · h histogram · ←→ x column · ↑↓ measure · + - more/fewer · x export · Esc closes";
    /// A line chart or a histogram of a result without a number (or time) column.
    pub const NO_NUMBERS: &str =
        "This chart needs a number column (a time for the x of a line); the result has none.";
    /// The background job of every column's summary.
    pub const SUMMARISING_ALL: &str = "summarising every column";
    /// Under every column's summary.
    pub const DESCRIBE_HINT: &str = "↑↓ pick a column · Enter opens its summary · Esc closes";
    /// Over every column's summary.
    pub const DESCRIBE_TITLE: &str = " Summary of every column ";
    /// Under a column summary.
    pub const SUMMARY_HINT: &str =
        "↑↓ pick a top value · Enter filters the grid to it · Esc closes";
    /// The job's label.
    pub const EXPORTING: &str = "exporting the result";
    /// The filter prompt.
    pub const FILTER_PROMPT: &str = "Filter (a SQL predicate, or text to find), Enter:";
    /// The history prompt.
    pub const HISTORY_PROMPT: &str = "History search, Enter puts it in the editor:";
    /// Nothing in the history matched.
    pub const NO_HISTORY_MATCH: &str = "No statement of the history contains that.";
    /// Ctrl-J on an empty editor.
    pub const NOTHING_TO_RUN: &str = "There is no statement at the cursor.";
    /// Tab found nothing.
    pub const NO_COMPLETION: &str = "No table, column or keyword starts so.";
    /// Sort, filter, frequency on a result held in memory.
    pub const ONLY_QUERIES: &str =
        "Sorting, filtering and counting work on the results of queries.";
    /// Marks a result held in memory.
    pub const IN_MEMORY: &str = " (not a query: held as returned)";
    /// A refused statement was not confirmed.
    pub const NOT_RUN: &str = "Not run.";
    /// Esc stopped the statement.
    pub const CANCELLED: &str = "Cancelled.";

    /// The confirmation prompt.
    pub fn confirm(what: &str) -> String {
        format!(" This is {what}. Run it? y runs it, any other key does not. ")
    }

    /// After a run.
    pub fn ran(kind: &str, rows: u64, seconds: f64) -> String {
        format!(
            "{kind}: {} row(s) in {seconds:.3} s",
            crate::ui::strings::thousands(rows)
        )
    }

    /// Several completions.
    pub fn completions(names: &[String]) -> String {
        let shown: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
        format!("Tab again for the next: {}", shown.join(" "))
    }

    /// The column summary's title.
    pub fn summary_title(column: &str, type_name: &str) -> String {
        format!(" Summary of {column} ({type_name}) ")
    }

    /// The frequency table's title.
    pub fn frequency_title(column: &str, distinct: u64) -> String {
        format!(
            " Frequency of {column} ({} distinct values; Esc closes) ",
            crate::ui::strings::thousands(distinct)
        )
    }
}
