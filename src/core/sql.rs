//! The little the SQL console needs to know about SQL text, without a database: tokens
//! (for highlighting, for the names a statement mentions and for completion), where each
//! statement of a buffer starts and ends, and where DuckDB's error messages point. What a
//! statement *does* is DuckDB's to say (`store::query`), never this module's.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A keyword of [`KEYWORDS`].
    Keyword,
    /// A name (table, column, function), plain or `"quoted"`.
    Ident,
    /// A `'string'`.
    Str,
    /// A number.
    Number,
    /// `-- …` or `/* … */`.
    Comment,
    /// `;`.
    Semicolon,
    /// Anything else (operators, parentheses, commas).
    Punct,
}

/// One token: its kind and its byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// The keywords highlighted and completed (upper case).
pub const KEYWORDS: &[&str] = &[
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "COPY",
    "COUNT",
    "CREATE",
    "CROSS",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FILTER",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRAGMA",
    "QUALIFY",
    "REPLACE",
    "RIGHT",
    "SELECT",
    "SET",
    "SHOW",
    "SUMMARIZE",
    "TABLE",
    "THEN",
    "TRUE",
    "UNION",
    "UPDATE",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Splits `text` into tokens (whitespace dropped). Unterminated strings and comments run
/// to the end; any byte sequence is accepted.
pub fn tokens(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            i = memchr(b, i, b'\n').unwrap_or(b.len());
            TokenKind::Comment
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            TokenKind::Comment
        } else if c == b'\'' || c == b'"' {
            // A doubled quote is an escaped quote.
            i += 1;
            loop {
                match memchr(b, i, c) {
                    Some(q) if b.get(q + 1) == Some(&c) => i = q + 2,
                    Some(q) => {
                        i = q + 1;
                        break;
                    }
                    None => {
                        i = b.len();
                        break;
                    }
                }
            }
            if c == b'\'' {
                TokenKind::Str
            } else {
                TokenKind::Ident
            }
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            TokenKind::Number
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            if is_keyword(&text[start..i]) {
                TokenKind::Keyword
            } else {
                TokenKind::Ident
            }
        } else if c == b';' {
            i += 1;
            TokenKind::Semicolon
        } else {
            // One character (whole, when it is not ASCII).
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            TokenKind::Punct
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out
}

fn memchr(b: &[u8], from: usize, c: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|x| *x == c)
        .map(|p| p + from)
}

fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

/// Whether `word` is one of [`KEYWORDS`] (any case).
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// The byte ranges of the statements in `text` (split at `;` outside strings and
/// comments), without the empty ones (only whitespace and comments).
pub fn statements(text: &str) -> Vec<(usize, usize)> {
    let toks = tokens(text);
    let mut out = Vec::new();
    let mut start = 0;
    let mut has_code = false;
    for t in &toks {
        match t.kind {
            TokenKind::Semicolon => {
                if has_code {
                    out.push((start, t.start));
                }
                start = t.end;
                has_code = false;
            }
            TokenKind::Comment => {}
            _ => has_code = true,
        }
    }
    if has_code {
        out.push((start, text.len()));
    }
    out
}

/// The statement to run for a cursor at byte `at` of `text`: the one the cursor is in (or
/// just after its `;`), else the nearest before it; `None` when the text has none.
pub fn statement_at(text: &str, at: usize) -> Option<(usize, usize)> {
    let all = statements(text);
    all.iter()
        .copied()
        .find(|&(a, b)| at >= a && at <= b + 1)
        .or_else(|| all.iter().copied().rev().find(|&(_, b)| b <= at))
        .or_else(|| all.first().copied())
}

/// The identifiers `text` mentions, lower case, unquoted (`"Campaign"` → `campaign`),
/// each once, in order; schema-qualified names give their last part.
pub fn identifiers(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tokens(text) {
        if t.kind != TokenKind::Ident {
            continue;
        }
        let raw = &text[t.start..t.end];
        let name = match raw.strip_prefix('"') {
            Some(q) => q.strip_suffix('"').unwrap_or(q).replace("\"\"", "\""),
            None => raw.to_owned(),
        }
        .to_lowercase();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Words that may come before the name a changing statement acts on.
const HEAD_WORDS: &[&str] = &[
    "CREATE",
    "OR",
    "REPLACE",
    "TEMP",
    "TEMPORARY",
    "PERSISTENT",
    "TABLE",
    "VIEW",
    "IF",
    "NOT",
    "EXISTS",
    "INSERT",
    "IGNORE",
    "INTO",
    "UPDATE",
    "DELETE",
    "FROM",
    "DROP",
    "ALTER",
    "TRUNCATE",
    "COPY",
    "MERGE",
    "MATERIALIZED",
    "SEQUENCE",
    "MACRO",
    "FUNCTION",
    "SCHEMA",
    "TYPE",
    "UNIQUE",
    "INDEX",
    "ONLY",
];

/// The name a changing statement acts on, read from its head (`CREATE OR REPLACE TABLE x`,
/// `INSERT INTO x`, `UPDATE x`, `DELETE FROM x`, `DROP TABLE IF EXISTS x`, `ALTER TABLE
/// x`, `COPY x`…), lower case and unquoted, the last part of a qualified name; `None` when
/// the head is not of that form (it starts with `WITH`, say), and the caller must assume
/// the statement may act on any name it mentions.
pub fn head_target(text: &str) -> Option<String> {
    let toks: Vec<Token> = tokens(text)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        let word = &text[t.start..t.end];
        let plain =
            matches!(t.kind, TokenKind::Keyword | TokenKind::Ident) && !word.starts_with('"');
        if plain && HEAD_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            i += 1;
        } else {
            break;
        }
    }
    if i == 0 {
        return None;
    }
    let mut name = None;
    while let Some(t) = toks.get(i) {
        if t.kind != TokenKind::Ident {
            return name;
        }
        name = identifiers(&text[t.start..t.end]).into_iter().next();
        match toks.get(i + 1) {
            Some(dot) if &text[dot.start..dot.end] == "." => i += 2,
            _ => return name,
        }
    }
    name
}

/// Whether `text` holds the keyword `word` outside strings and comments (e.g. `FROM` in
/// `COPY x FROM 'file'`).
/// Whether the statement copies a query's rows out (`COPY (SELECT …) TO …`): its first
/// words are `COPY` and an opening parenthesis, a form that only writes to a file (a
/// `COPY … FROM` names a table, never a query).
pub fn copies_a_query(text: &str) -> bool {
    let toks: Vec<Token> = tokens(text)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    match (toks.first(), toks.get(1)) {
        (Some(a), Some(b)) => {
            text[a.start..a.end].eq_ignore_ascii_case("copy") && &text[b.start..b.end] == "("
        }
        _ => false,
    }
}

/// Whether `word` is one of the statement's keywords.
pub fn has_keyword(text: &str, word: &str) -> bool {
    tokens(text)
        .iter()
        .any(|t| t.kind == TokenKind::Keyword && text[t.start..t.end].eq_ignore_ascii_case(word))
}

/// `text` with each parameter `$n` (outside strings and comments) replaced by
/// `values[n - 1]`, which are SQL literals: the statement a report runs, written out for
/// the console. A `$n` without a value stays as it is.
pub fn inline_params(text: &str, values: &[String]) -> String {
    let toks = tokens(text);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for pair in toks.windows(2) {
        let (dollar, num) = (pair[0], pair[1]);
        if &text[dollar.start..dollar.end] != "$"
            || num.kind != TokenKind::Number
            || num.start != dollar.end
        {
            continue;
        }
        let Some(value) = text[num.start..num.end]
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| values.get(i))
        else {
            continue;
        };
        out.push_str(&text[copied..dollar.start]);
        out.push_str(value);
        copied = num.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The word being typed at byte `at` (letters, digits, `_`, `.`): its start and text.
pub fn word_before(text: &str, at: usize) -> (usize, &str) {
    let at = at.min(text.len());
    let head = text.get(..at).unwrap_or("");
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(at, |(i, _)| i);
    (start, &head[start..])
}

/// Where the string literal the position `at` is inside starts (the byte after its
/// opening quote), when `at` is inside one that is still open there: what path
/// completion completes. Quotes inside comments and doubled quotes (`''`) are not
/// openings.
pub fn open_string_at(text: &str, at: usize) -> Option<usize> {
    let head = text.get(..at.min(text.len()))?;
    let b = head.as_bytes();
    let mut i = 0;
    let mut open: Option<usize> = None;
    while i < b.len() {
        match (open, b[i]) {
            (Some(_), b'\'') => {
                if b.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    open = None;
                }
            }
            (Some(_), _) => {}
            (None, b'\'') => open = Some(i + 1),
            (None, b'-') if b.get(i + 1) == Some(&b'-') => {
                i = head[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            (None, b'/') if b.get(i + 1) == Some(&b'*') => {
                i = head[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 1);
            }
            _ => {}
        }
        i += 1;
    }
    open
}

/// The candidates that complete `prefix` (case-insensitive), shortest first, then
/// alphabetical; an empty prefix completes nothing.
pub fn completions<'a>(prefix: &str, candidates: &'a [String]) -> Vec<&'a str> {
    if prefix.is_empty() {
        return Vec::new();
    }
    let p = prefix.to_lowercase();
    let mut out: Vec<&str> = candidates
        .iter()
        .map(String::as_str)
        .filter(|c| c.to_lowercase().starts_with(&p) && c.len() > prefix.len())
        .collect();
    out.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
    out.dedup();
    out
}

/// The 1-based line DuckDB's error message points at (`LINE 3: …`), if it names one.
pub fn error_line(message: &str) -> Option<usize> {
    let rest = &message[message.find("LINE ")? + 5..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|n| *n > 0)
}

/// The 0-based column DuckDB's caret (`^`, on the line after `LINE n: …`) points at, in
/// characters of the statement's line.
pub fn error_column(message: &str) -> Option<usize> {
    let at = message.find("LINE ")?;
    let mut lines = message[at..].lines();
    let head = lines.next()?;
    let prefix = head.find(": ")? + 2;
    let caret = lines.next()?;
    let pos = caret.chars().position(|c| c == '^')?;
    pos.checked_sub(prefix)
}

/// `(line, column)`, 0-based, of byte `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let head = &text[..at];
    let line = head.matches('\n').count();
    let col = head.rsplit('\n').next().map_or(0, |l| l.chars().count());
    (line, col)
}

/// Byte offset of `(line, column)` (0-based, column in characters) in `text`.
pub fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i == line {
            return start + l.char_indices().nth(col).map_or(l.len(), |(b, _)| b);
        }
        start += l.len() + 1;
    }
    text.len()
}

/// Whether a transaction statement opens a transaction (`BEGIN`, `START TRANSACTION`:
/// `Some(true)`) or ends one (`COMMIT`, `END`, `ROLLBACK`, `ABORT`: `Some(false)`); `None`
/// for anything else. Bookkeeping for a statement DuckDB already said is a transaction
/// statement, never a safety check.
pub fn transaction_opens(text: &str) -> Option<bool> {
    let first = tokens(text)
        .into_iter()
        .find(|t| t.kind != TokenKind::Comment)?;
    match text
        .get(first.start..first.end)?
        .to_ascii_uppercase()
        .as_str()
    {
        "BEGIN" | "START" => Some(true),
        "COMMIT" | "END" | "ROLLBACK" | "ABORT" => Some(false),
        _ => None,
    }
}

/// `template` with each `{name}` of `values` replaced, in one pass: text put in is never
/// searched again, so a value holding `{order}` (a user's filter, a column name) stays as
/// written. A brace pair that names no value is kept.
pub fn fill_template(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (close, *v))
        });
        match value {
            Some((close, v)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        tokens(text)
            .into_iter()
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn tokens_know_strings_comments_and_quoted_names() {
        use TokenKind::*;
        assert_eq!(
            kinds("select 'a;''b' -- c;\n, \"x\"\"y\" /* ; */ 1.5;"),
            [
                (Keyword, "select"),
                (Str, "'a;''b'"),
                (Comment, "-- c;"),
                (Punct, ","),
                (Ident, "\"x\"\"y\""),
                (Comment, "/* ; */"),
                (Number, "1.5"),
                (Semicolon, ";"),
            ]
        );
        // Unterminated pieces end at the end; nothing panics on odd bytes.
        assert_eq!(kinds("'abc"), [(Str, "'abc")]);
        assert_eq!(kinds("/* x"), [(Comment, "/* x")]);
        assert_eq!(kinds("é→"), [(Ident, "é→")]);
    }

    #[test]
    fn statements_split_outside_strings_and_skip_empty_ones() {
        let text = "select 1; ;\n-- only a comment;\nselect ';' ; select 3";
        let got: Vec<&str> = statements(text)
            .into_iter()
            .map(|(a, b)| text[a..b].trim())
            .collect();
        assert_eq!(
            got,
            ["select 1", "-- only a comment;\nselect ';'", "select 3"]
        );
    }

    #[test]
    fn the_statement_under_the_cursor() {
        let text = "select 1;\nselect 2;\n";
        let at = |i| statement_at(text, i).map(|(a, b)| text[a..b].trim());
        assert_eq!(at(0), Some("select 1"));
        assert_eq!(at(9), Some("select 1"), "just after the semicolon");
        assert_eq!(at(12), Some("select 2"));
        assert_eq!(at(text.len()), Some("select 2"));
        assert_eq!(statement_at("  ", 1), None);
    }

    #[test]
    fn identifiers_are_unquoted_and_lower_case() {
        assert_eq!(
            identifiers("DROP TABLE \"Campaign\"; select x from main.campaign, Campaign"),
            ["campaign", "x", "main"]
        );
    }

    #[test]
    fn the_target_of_a_changing_statement() {
        let t = |s: &str| head_target(s);
        assert_eq!(
            t("CREATE TABLE mine AS SELECT * FROM campaign").as_deref(),
            Some("mine")
        );
        assert_eq!(
            t("create or replace temp table \"Campaign\" as select 1").as_deref(),
            Some("campaign")
        );
        assert_eq!(
            t("DROP TABLE IF EXISTS main.campaign").as_deref(),
            Some("campaign")
        );
        assert_eq!(
            t("/* c */ INSERT INTO ml_movie SELECT * FROM x").as_deref(),
            Some("ml_movie")
        );
        assert_eq!(
            t("insert or ignore into t values (1)").as_deref(),
            Some("t")
        );
        assert_eq!(
            t("DELETE FROM reward_transaction").as_deref(),
            Some("reward_transaction")
        );
        assert_eq!(t("UPDATE campaign SET x = 1").as_deref(), Some("campaign"));
        assert_eq!(
            t("ALTER TABLE load_reject ADD COLUMN y INT").as_deref(),
            Some("load_reject")
        );
        assert_eq!(t("WITH x AS (SELECT 1) DELETE FROM campaign"), None);
        assert_eq!(t("SELECT 1"), None);
        assert!(has_keyword("COPY campaign FROM 'f.csv'", "from"));
        assert!(!has_keyword("COPY campaign TO 'f.csv'", "from"));
    }

    #[test]
    fn completion_of_the_word_before_the_cursor() {
        let text = "select * from http_l";
        let (start, word) = word_before(text, text.len());
        assert_eq!((start, word), (14, "http_l"));
        let names = [
            "http_log".to_owned(),
            "http_log_data".to_owned(),
            "campaign".to_owned(),
        ];
        assert_eq!(completions(word, &names), ["http_log", "http_log_data"]);
        assert!(completions("", &names).is_empty());
        assert!(completions("campaign", &names).is_empty(), "already whole");
    }

    #[test]
    fn parameters_are_written_in_outside_strings_and_comments() {
        let values = ["14".to_owned(), "'a''b'".to_owned()];
        assert_eq!(
            inline_params("-- $1 is the id\nSELECT $1, '$2', $2, $3, $10", &values),
            "-- $1 is the id\nSELECT 14, '$2', 'a''b', $3, $10"
        );
    }

    #[test]
    fn error_positions() {
        assert_eq!(
            error_line(
                "Parser Error: syntax error at or near \"form\"\n\nLINE 2: form x\n        ^"
            ),
            Some(2)
        );
        assert_eq!(error_line("Catalog Error: Table x does not exist"), None);
        assert_eq!(
            error_column(
                "Parser Error: syntax error at or near \"form\"\n\nLINE 2: select form x\n               ^"
            ),
            Some(7)
        );
        assert_eq!(error_column("no position"), None);
        let text = "ab\ncdé\nf";
        assert_eq!(line_col(text, 5), (1, 2));
        assert_eq!(line_col(text, 6), (1, 2), "inside é");
        assert_eq!(offset_of(text, 1, 2), 5);
        assert_eq!(offset_of(text, 9, 0), text.len());
    }

    #[test]
    fn templates_are_filled_in_one_pass() {
        let t = "SELECT 1 WHERE {where} ORDER BY {order} -- {other}";
        assert_eq!(
            fill_template(t, &[("where", "x = '{order}'"), ("order", "rowid")]),
            "SELECT 1 WHERE x = '{order}' ORDER BY rowid -- {other}"
        );
        assert_eq!(
            fill_template("{a}{b}{", &[("a", "{b}"), ("b", "2")]),
            "{b}2{"
        );
    }

    #[test]
    fn transaction_statements_open_or_close() {
        assert_eq!(transaction_opens("-- c\nBEGIN TRANSACTION"), Some(true));
        assert_eq!(transaction_opens("start transaction"), Some(true));
        for t in ["COMMIT", "end", "ROLLBACK;", "abort"] {
            assert_eq!(transaction_opens(t), Some(false), "{t}");
        }
        assert_eq!(transaction_opens("SELECT 1"), None);
    }

    #[test]
    fn a_copy_of_a_query_is_told_from_a_copy_into_a_table() {
        assert!(copies_a_query(
            "COPY (SELECT * FROM http_log) TO 'x.parquet' (FORMAT parquet)"
        ));
        assert!(copies_a_query("-- out\n  copy (select 1) to 'x.csv'"));
        assert!(!copies_a_query("COPY http_log FROM 'x.csv'"));
        assert!(!copies_a_query("COPY http_log TO 'x.csv'"));
        assert!(!copies_a_query("SELECT 1"));
    }

    #[test]
    fn an_open_string_is_found_before_the_cursor() {
        let t = "SELECT * FROM read_csv('data/sa";
        assert_eq!(open_string_at(t, t.len()), Some(24));
        assert_eq!(open_string_at("SELECT 'a' FROM t", 17), None);
        assert_eq!(open_string_at("SELECT 'it''s", 13), Some(8));
        assert_eq!(open_string_at("-- don't\nSELECT 1", 17), None);
        assert_eq!(open_string_at("/* it's */ SELECT '/tm", 22), Some(19));
    }
}
