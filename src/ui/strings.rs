//! Every string the terminal UI shows, in one place.

/// Tab titles, in tab order.
pub const TAB_TITLES: [&str; 3] = ["Weekly", "Recommend", "Data"];

/// The footer's reminder of the main keys.
pub const FOOTER: &str = " 1-3/Tab switch · ↑↓/jk move · ? help · q quit ";

/// Keys every tab understands.
pub const GLOBAL_KEYS: &[(&str, &str)] = &[
    ("1-3, Tab, Shift-Tab", "switch tab"),
    ("?", "this help (Esc closes it)"),
    ("q, Ctrl-C", "quit"),
];

/// Title of the help overlay.
pub const HELP_TITLE: &str = " Keys ";
/// Title of the error popup.
pub const ERROR_TITLE: &str = " Error (Esc closes) ";

/// Weekly tab.
pub mod weekly {
    /// Block title.
    pub const TITLE: &str =
        " Redeemed rewards per ISO week (Asia/Singapore), change vs previous week ";
    /// When the report has no rows.
    pub const EMPTY: &str = "No redeemed reward transactions loaded.";
    /// Tab keys.
    pub const KEYS: &[(&str, &str)] = &[("↑↓, j k", "move"), ("PgUp PgDn", "page")];
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
    /// The database has no ratings.
    pub const NO_RATINGS: &str =
        "No MovieLens ratings loaded: run `perx movielens load --dir DIR` first.";
    /// Tab keys.
    pub const KEYS: &[(&str, &str)] = &[
        (
            "digits, Backspace",
            "edit the user id (when the field has focus)",
        ),
        ("Enter", "recommend for the typed user"),
        ("Esc", "leave the field (number keys switch tabs again)"),
        ("i, /", "back into the field"),
        ("e", "show or hide why each movie was recommended"),
    ];

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
    pub const SOURCES_TITLE: &str = " Sources (last load) ";
    /// Block title of the rejects.
    pub const REJECTS_TITLE: &str = " Rejected lines ";
    /// No rejects.
    pub const NO_REJECTS: &str = "No line was rejected.";
    /// Tab keys.
    pub const KEYS: &[(&str, &str)] = &[
        ("↑↓, j k", "move through the rejected lines"),
        ("r", "read the counts again"),
    ];
}
