//! The terminal UI: every tab drawn on ratatui's `TestBackend` at 80×24 and 160×48 and
//! compared with committed `insta` snapshots, and key-driven checks through
//! `App::update`.

use perx::progress::NoProgress;
use perx::store::Store;
use perx::store::movielens::MlFiles;
use perx::ui::tabs::TabId;
use perx::ui::tabs::recommend::Catalog;
use perx::ui::{Action, App};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use std::time::Duration;

use crate::util::{load, memory_store, sample_dir};

/// An app on an in-memory database holding the shipped sample (platform and MovieLens).
pub(crate) fn app() -> (App, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let mut store: Store = memory_store();
    load(&mut store, &sample_dir(), tmp.path());
    let files = MlFiles::discover(&sample_dir().join("movielens")).unwrap();
    store.load_movielens(&files, 5, &NoProgress).unwrap();
    (App::new(store), tmp)
}

/// Presses a key and waits for any background job it started (building the session
/// browser, loading the recommender, exports, reloads) to hand back its result.
pub(crate) fn key(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    app.wait_idle(Duration::from_secs(120));
}

pub(crate) fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub(crate) fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
    t.backend().to_string()
}

pub(crate) fn snapshot(name: &str, text: &str) {
    // Load times and run times change from run to run.
    insta::with_settings!({filters => vec![
        (r"20[2-9]\d-\d\d-\d\d \d\d:\d\d:\d\d", "[loaded at]"),
        (r"\d+\.\d{3} s\b", "[t] s"),
    ]}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn every_tab_at_two_sizes() {
    let (mut app, _tmp) = app();
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        snapshot(&format!("engagement_{w}x{h}"), &screen(&mut app, w, h));
        key(&mut app, KeyCode::Char('2'));
        assert_eq!(app.current_tab(), TabId::Weekly);
        snapshot(&format!("weekly_{w}x{h}"), &screen(&mut app, w, h));
        key(&mut app, KeyCode::Char('4'));
        to_movies(&mut app);
        assert_eq!(app.current_tab(), TabId::Recommend);
        typed(&mut app, "7");
        key(&mut app, KeyCode::Enter);
        snapshot(&format!("recommend_{w}x{h}"), &screen(&mut app, w, h));
        key(&mut app, KeyCode::Char('e'));
        // Still editing: 'e' is not a digit.
        assert_eq!(
            app.recommend_tab().message(),
            Some("User ids are digits only.")
        );
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.recommend_tab().message(), None);
        key(&mut app, KeyCode::Char('e'));
        snapshot(
            &format!("recommend_explain_{w}x{h}"),
            &screen(&mut app, w, h),
        );
        key(&mut app, KeyCode::Char('e'));
        key(&mut app, KeyCode::Char('5'));
        assert_eq!(app.current_tab(), TabId::Data);
        snapshot(&format!("data_{w}x{h}"), &screen(&mut app, w, h));
        key(&mut app, KeyCode::Char('?'));
        snapshot(&format!("data_help_{w}x{h}"), &screen(&mut app, w, h));
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Char('4'));
        to_movies(&mut app);
        // Back in the Recommend tab the field has focus again: clear it for the next round.
        key(&mut app, KeyCode::Backspace);
        key(&mut app, KeyCode::Esc);
        key(&mut app, KeyCode::Char('1'));
        assert_eq!(app.current_tab(), TabId::Engagement);
    }
    assert!(app.error().is_none());
}

#[test]
fn typed_digits_go_to_the_user_field_not_to_tab_switching() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('4'));
    to_movies(&mut app);
    typed(&mut app, "13");
    assert_eq!(
        app.current_tab(),
        TabId::Recommend,
        "digits typed into the field switch no tab"
    );
    assert_eq!(app.recommend_tab().input(), "13");
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.recommend_tab().input(), "1");
    key(&mut app, KeyCode::Enter);
    let shown = app.recommend_tab().shown_movies();
    assert_eq!(shown.len(), 10);
    // The same list as the library gives for user 1 (trained the same way).
    let rated: std::collections::HashSet<u32> =
        std::fs::read_to_string(sample_dir().join("movielens/ratings.dat"))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("1::"))
            .map(|l| l.split("::").nth(1).unwrap().parse().unwrap())
            .collect();
    assert!(shown.iter().all(|m| !rated.contains(m)));
    // An unknown user: a message in the panel, not an error popup.
    typed(&mut app, "9999");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.recommend_tab().message(),
        Some("User 19999 is not in the MovieLens data.")
    );
    assert!(app.error().is_none());
    // Esc leaves the field; then number keys switch tabs again, and q quits.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('5'));
    assert_eq!(app.current_tab(), TabId::Data);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.current_tab(), TabId::Query);
    // The Query tab's editor completes with Tab; Shift-Tab still goes back.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.current_tab(), TabId::Query);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.current_tab(), TabId::Data);
    assert!(!app.should_quit());
    key(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit());
}

#[test]
fn ctrl_c_quits_even_while_typing() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('4'));
    to_movies(&mut app);
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.should_quit());
}

#[test]
fn an_empty_database_shows_messages_not_errors() {
    let mut app = App::new(memory_store());
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("No reward transactions loaded."), "{s}");
    key(&mut app, KeyCode::Char('2'));
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("No redeemed reward transactions loaded."), "{s}");
    key(&mut app, KeyCode::Char('4'));
    to_movies(&mut app);
    typed(&mut app, "1");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.recommend_tab().message(),
        Some("No MovieLens ratings loaded: run `perx movielens load --dir DIR` first.")
    );
    assert!(app.error().is_none());
}

#[test]
fn the_date_picker_produces_the_utc_bounds_of_the_sgt_days() {
    use chrono::{NaiveDate, TimeZone, Utc};
    let (mut app, _tmp) = app();
    let d = |m, day| NaiveDate::from_ymd_opt(2019, m, day).unwrap();
    // Opens on the first campaign and the whole data range.
    let q = app.engagement_tab().query().unwrap().clone();
    assert_eq!(q.campaign_id, 1);
    // Type a range: whole SGT days, so UTC starts at 16:00 the day before.
    key(&mut app, KeyCode::Char('t'));
    typed(&mut app, "2019-08-01 2019-08-31");
    key(&mut app, KeyCode::Enter);
    let q = app.engagement_tab().query().unwrap().clone();
    assert_eq!((q.range.from(), q.range.to()), (d(8, 1), d(8, 31)));
    assert_eq!(
        q.range.to_utc(),
        (
            Utc.with_ymd_and_hms(2019, 7, 31, 16, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2019, 8, 31, 16, 0, 0).unwrap()
        )
    );
    // The calendar: the cursor is on Aug 1; Enter there, three days right, Enter.
    key(&mut app, KeyCode::Enter);
    for _ in 0..3 {
        key(&mut app, KeyCode::Right);
    }
    key(&mut app, KeyCode::Enter);
    let q = app.engagement_tab().query().unwrap().clone();
    assert_eq!((q.range.from(), q.range.to()), (d(8, 1), d(8, 4)));
    let rows = &app.engagement_tab().result().unwrap().rows;
    assert!(!rows.is_empty());
    let screen_text = screen(&mut app, 100, 30);
    assert!(
        screen_text.contains("Queried in UTC: [2019-07-31 16:00, 2019-08-04 16:00)"),
        "{screen_text}"
    );
    // Another campaign re-runs the query.
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Down);
    assert_eq!(app.engagement_tab().query().unwrap().campaign_id, 2);
    // Typing digits into the date field switches no tab; a bad date says so.
    key(&mut app, KeyCode::Char('t'));
    typed(&mut app, "2019-13-01");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.current_tab(), TabId::Engagement);
    assert!(screen(&mut app, 100, 30).contains("Dates are YYYY-MM-DD"));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.current_tab(), TabId::Weekly);
}

#[test]
fn x_exports_the_whole_view_with_provenance() {
    let (app, tmp) = app();
    let out = tempfile::tempdir().unwrap();
    let mut app = app.with_export_dir(out.path().to_owned());
    // Engagement, August in SGT: every row of the result, not just the visible page.
    key(&mut app, KeyCode::Char('t'));
    typed(&mut app, "2019-07-01 2019-08-31");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('x'));
    let rows = app.engagement_tab().result().unwrap().rows.len();
    assert!(rows > 20, "more rows than fit on the screen: {rows}");
    let path = out
        .path()
        .join("perx-engagement-1-2019-07-01-2019-08-31.csv");
    let csv = std::fs::read_to_string(&path).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("rank,no_of_transactions,date,time"));
    assert_eq!(lines.count(), rows);
    assert!(
        app.status()
            .unwrap()
            .contains("perx-engagement-1-2019-07-01-2019-08-31.csv")
    );
    assert!(screen(&mut app, 160, 10).contains("Exported"));
    key(&mut app, KeyCode::Down);
    assert_eq!(app.status(), None, "the status lasts until the next key");
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            out.path()
                .join("perx-engagement-1-2019-07-01-2019-08-31.csv.meta.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(meta["sql_file"], "sql/reports/engagement.sql");
    assert_eq!(meta["parameters"]["utc_from"], "2019-06-30T16:00:00+00:00");
    assert_eq!(meta["rows"], rows);
    // Weekly.
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('x'));
    let weekly = std::fs::read_to_string(out.path().join("perx-weekly.csv")).unwrap();
    assert!(weekly.starts_with("reward_name,reward_redeemed_count,pct_diff_prev_week"));
    // Recommend: the list on screen, with titles.
    key(&mut app, KeyCode::Char('4'));
    to_movies(&mut app);
    typed(&mut app, "7");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('x'));
    let recs = std::fs::read_to_string(out.path().join("perx-recommend-user7.csv")).unwrap();
    assert_eq!(recs.lines().count(), 11);
    let shown = app.recommend_tab().shown_movies();
    let first: u32 = recs
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first, shown[0]);
    // Data: the rejected lines with their line numbers.
    key(&mut app, KeyCode::Char('5'));
    key(&mut app, KeyCode::Char('x'));
    let rejects = std::fs::read_to_string(out.path().join("perx-rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 8);
    assert!(rejects.contains("http_log.txt,2501,"));
    assert!(app.error().is_none());
    drop(tmp);
}

/// The real binary in a real terminal (tmux): it loads the sample into an empty database,
/// shows the tabs, exports on `x` and quits on `q`, leaving the terminal usable.
#[test]
fn the_binary_runs_in_a_pseudo_terminal() {
    use std::process::Command;
    use std::time::{Duration, Instant};
    if Command::new("tmux").arg("-V").output().is_err() {
        crate::util::skip(
            "the_binary_runs_in_a_pseudo_terminal",
            "tmux is not installed",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = format!("perx-test-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .unwrap()
    };
    let exe = env!("CARGO_BIN_EXE_perx");
    let command = format!(
        "{exe} --db t.duckdb --data {} --movielens {} 2>load.log; echo $? > exit.code",
        sample_dir().display(),
        sample_dir().join("movielens").display()
    );
    let started = tmux(&[
        "new-session",
        "-d",
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        &dir.path().to_string_lossy(),
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    let screen_with = |text: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = tmux(&["capture-pane", "-p"]);
            let s = String::from_utf8_lossy(&out.stdout).into_owned();
            if s.contains(text) || Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let s = screen_with("Busiest date-hours");
    assert!(
        s.contains("1 Engagement") && s.contains("Sample Campaign 1"),
        "{s}"
    );
    tmux(&["send-keys", "2"]);
    let s = screen_with("Redeemed rewards per ISO week");
    assert!(s.contains("Sample Reward 1"), "{s}");
    tmux(&["send-keys", "x"]);
    let s = screen_with("Exported");
    assert!(s.contains("perx-weekly.csv"), "{s}");
    // The Query tab: type a query (the editor has the keys), run it with Ctrl-J.
    tmux(&["send-keys", "6"]);
    screen_with("Tables (F2)");
    tmux(&[
        "send-keys",
        "-l",
        "select event_kind, count(*) as n from http_log group by all order by 1",
    ]);
    tmux(&["send-keys", "C-j"]);
    let s = screen_with("2 rows");
    assert!(
        s.contains("reward") && s.contains("view") && s.contains("event_kind"),
        "{s}"
    );
    // Esc leaves the editor, then q quits.
    tmux(&["send-keys", "Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux(&["send-keys", "q"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.path().join("exit.code").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = tmux(&["kill-server"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("exit.code"))
            .unwrap()
            .trim(),
        "0"
    );
    let csv = std::fs::read_to_string(dir.path().join("perx-weekly.csv")).unwrap();
    assert!(
        csv.starts_with("reward_name,reward_redeemed_count"),
        "{csv}"
    );
    assert!(dir.path().join("perx-weekly.csv.meta.json").is_file());
}

#[test]
fn the_session_browser_pages_filters_sorts_and_opens_a_session() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.current_tab(), TabId::Sessions);
    let all = app.sessions_tab().total();
    assert!(all > 1000, "{all}");
    // The cache holds exactly the report's sessions.
    // Paging past the first fetched page.
    for _ in 0..25 {
        key(&mut app, KeyCode::PageDown);
    }
    assert_eq!(app.sessions_tab().selected_position().unwrap(), 501);
    key(&mut app, KeyCode::End);
    assert_eq!(app.sessions_tab().selected_position().unwrap(), all);
    // Reward-driven only, then a user filter typed after '/'.
    key(&mut app, KeyCode::Char('d'));
    let driven = app.sessions_tab().total();
    assert!(driven > 0 && driven < all);
    assert!(app.sessions_tab().selected().unwrap().session.driven);
    let user = app
        .sessions_tab()
        .selected()
        .unwrap()
        .session
        .user_id
        .clone();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, &user);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.current_tab(),
        TabId::Sessions,
        "digits typed into the filter switch no tab"
    );
    let s = app.sessions_tab().selected().unwrap().session.clone();
    assert_eq!(s.user_id, user);
    assert!(s.driven);
    // Its requests: as many as the session counts, in time order, within its bounds.
    key(&mut app, KeyCode::Enter);
    let events = app.sessions_tab().detail().unwrap();
    assert_eq!(events.len() as i64, s.event_count);
    assert!(events.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert_eq!(events[0].ts, s.start);
    assert_eq!(events.last().unwrap().ts, s.end);
    // The mapping rows behind "driven": each pairs a viewed campaign with an issued reward.
    let pairs = app.sessions_tab().detail_pairs().unwrap().to_vec();
    assert!(!pairs.is_empty());
    for (c, r) in &pairs {
        assert!(
            s.driving_campaigns.contains(c),
            "{c} in {:?}",
            s.driving_campaigns
        );
        assert!(s.rewards.contains(r), "{r} in {:?}", s.rewards);
    }
    let screen_text = screen(&mut app, 160, 48);
    assert!(screen_text.contains("Requests of user"), "{screen_text}");
    assert!(
        screen_text.contains(&format!("campaign {} → reward {}", pairs[0].0, pairs[0].1)),
        "{screen_text}"
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.sessions_tab().detail().is_none());
    // Esc again clears the filters; s sorts by most requests.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.sessions_tab().total(), all);
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('s'));
    let top = app.sessions_tab().selected().unwrap().session.event_count;
    key(&mut app, KeyCode::Down);
    assert!(app.sessions_tab().selected().unwrap().session.event_count <= top);
    // Down past the first page and back up again, by key in this order too.
    let second = app.sessions_tab().selected().unwrap().clone();
    for _ in 0..12 {
        key(&mut app, KeyCode::PageDown);
    }
    for _ in 0..12 {
        key(&mut app, KeyCode::PageUp);
    }
    assert_eq!(app.sessions_tab().selected(), Some(&second));
    snapshot("sessions_80x24", &screen(&mut app, 80, 24));
    snapshot("sessions_160x48", &screen(&mut app, 160, 48));
    assert!(app.error().is_none());
}

#[test]
fn the_sessions_table_equals_the_sessions_report() {
    use perx::report::{Rows, SessionRow, SessionsQuery};
    use perx::store::session_browse::{PageKey, SessionFilter, SessionSort};
    let tmp = tempfile::tempdir().unwrap();
    let mut store: Store = memory_store();
    load(&mut store, &sample_dir(), tmp.path());
    let mut report: Rows<SessionRow> = Rows::default();
    store
        .sessions_sql(&SessionsQuery::default(), &mut report)
        .unwrap();
    assert!(store.sessions_fresh().unwrap(), "the load built it");
    let n = store.build_sessions_table(&NoProgress).unwrap();
    assert!(store.sessions_fresh().unwrap(), "kept for the next run");
    assert_eq!(n as usize, report.rows.len());
    let total = store.session_count(&SessionFilter::default()).unwrap();
    assert_eq!(total as usize, report.rows.len());
    let page = store
        .session_page(
            &SessionFilter::default(),
            SessionSort::Report,
            &PageKey::First,
            false,
            100_000,
        )
        .unwrap();
    assert_eq!(page.len(), report.rows.len());
    // Keyset pages in both directions line up with the whole.
    assert!(!store.session_sort_ready(SessionSort::Events).unwrap());
    store.prepare_session_sort(SessionSort::Events).unwrap();
    assert!(store.session_sort_ready(SessionSort::Events).unwrap());
    assert_eq!(
        store
            .session_page(
                &SessionFilter::default(),
                SessionSort::Events,
                &PageKey::First,
                false,
                1
            )
            .unwrap()[0]
            .session
            .event_count,
        page.iter().map(|r| r.session.event_count).max().unwrap()
    );
    let next = store
        .session_page(
            &SessionFilter::default(),
            SessionSort::Events,
            &PageKey::Rank(1),
            false,
            3,
        )
        .unwrap();
    let back = store
        .session_page(
            &SessionFilter::default(),
            SessionSort::Events,
            &next[2].key,
            true,
            2,
        )
        .unwrap();
    assert_eq!(back, next[..2].to_vec());
    // One user's sessions in another order: ranked on the fly, paged by key.
    let mut per_user = std::collections::HashMap::<&str, usize>::new();
    for r in &page {
        *per_user.entry(r.session.user_id.as_str()).or_default() += 1;
    }
    let (user, sessions) = per_user.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(*sessions >= 2);
    let mine = SessionFilter {
        user_id: Some(user.to_string()),
        ..SessionFilter::default()
    };
    let by_duration = store
        .session_page(&mine, SessionSort::Duration, &PageKey::First, false, 1000)
        .unwrap();
    assert_eq!(by_duration.len(), *sessions);
    assert!(by_duration.iter().all(|r| r.session.user_id == *user));
    assert!(
        by_duration
            .windows(2)
            .all(|w| w[0].session.duration_s >= w[1].session.duration_s)
    );
    let mut one_by_one = Vec::new();
    let mut key = PageKey::First;
    loop {
        let p = store
            .session_page(&mine, SessionSort::Duration, &key, false, 1)
            .unwrap();
        let Some(r) = p.into_iter().next() else { break };
        key = r.key.clone();
        one_by_one.push(r);
    }
    assert_eq!(one_by_one, by_duration);
    // Report-order pages by key, forwards and backwards, line up with the whole.
    let forward = store
        .session_page(
            &SessionFilter::default(),
            SessionSort::Report,
            &page[10].key,
            false,
            5,
        )
        .unwrap();
    assert_eq!(forward, page[11..16].to_vec());
    let backward = store
        .session_page(
            &SessionFilter::default(),
            SessionSort::Report,
            &page[10].key,
            true,
            5,
        )
        .unwrap();
    assert_eq!(backward, page[5..10].to_vec());
    let last = store
        .session_page(
            &SessionFilter::default(),
            SessionSort::Report,
            &PageKey::Last,
            true,
            3,
        )
        .unwrap();
    assert_eq!(last, page[page.len() - 3..].to_vec());
    // The table gives back exactly the report's rows, every field.
    let cached: Vec<&SessionRow> = page.iter().map(|b| &b.session).collect();
    assert_eq!(cached, report.rows.iter().collect::<Vec<_>>());
}

fn mouse(app: &mut App, kind: MouseEventKind, column: u16, row: u16) {
    app.update(Action::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }));
    app.wait_idle(Duration::from_secs(120));
}

/// Where `text` is on the screen (column, row).
fn find(screen: &str, text: &str) -> (u16, u16) {
    for (row, line) in screen.lines().enumerate() {
        if let Some(byte) = line.find(text) {
            // Screen cells are one char each here (no wide characters in these rows).
            let col = line[..byte].chars().count();
            // TestBackend's Display wraps each line in quotes.
            return ((col - 1) as u16, row as u16);
        }
    }
    panic!("{text:?} not on the screen:\n{screen}");
}

#[test]
fn long_work_runs_in_the_background_and_esc_cancels_it() {
    // A sessions table not marked current (as a load stopped before it leaves it): the
    // tab builds it, off the UI thread.
    let tmp = tempfile::tempdir().unwrap();
    let mut store: Store = memory_store();
    load(&mut store, &sample_dir(), tmp.path());
    store
        .run_statement(
            "DROP TABLE http_log_session_meta",
            true,
            &mut perx::report::Collected::default(),
        )
        .unwrap();
    let mut app = App::new(store);
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('3'),
        KeyModifiers::NONE,
    )));
    assert!(app.busy(), "the session browser is built off the UI thread");
    assert!(app.sessions_tab().building());
    let text = screen(&mut app, 120, 24);
    assert!(text.contains("building the sessions table"), "{text}");
    assert!(text.contains("Esc cancels"), "{text}");
    // Esc interrupts it; the tab says how to start again.
    app.update(Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    assert!(!app.busy());
    assert!(app.status().unwrap().contains("Cancelled"));
    assert_eq!(
        app.sessions_tab().message(),
        Some(perx::ui::strings::sessions::NOT_BUILT)
    );
    assert_eq!(app.sessions_tab().total(), 0);
    // Enter builds it again, to the end this time, picked up the way the event loop does:
    // a tick per turn, the job left running until it has ended.
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    let started = std::time::Instant::now();
    app.tick();
    assert!(app.busy() || app.sessions_tab().total() > 0);
    while app.busy() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
        app.tick();
    }
    assert!(!app.busy());
    assert!(app.sessions_tab().total() > 1000);
    assert!(app.error().is_none(), "{:?}", app.error());
}

#[test]
fn mouse_clicks_tabs_and_rows_and_the_wheel_scrolls() {
    let (mut app, _tmp) = app();
    let text = screen(&mut app, 160, 48);
    let (x, y) = find(&text, "3 Sessions");
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), x + 2, y);
    assert_eq!(app.current_tab(), TabId::Sessions);
    let text = screen(&mut app, 160, 48);
    assert_eq!(app.sessions_tab().selected_position().unwrap(), 1);
    // Click the third session row (rows are numbered 1, 2, 3… in the view's order).
    let (x, y) = find(&text, "│3 ");
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), x + 1, y);
    assert_eq!(app.sessions_tab().selected_position().unwrap(), 3);
    mouse(&mut app, MouseEventKind::ScrollDown, 10, 10);
    assert_eq!(app.sessions_tab().selected_position().unwrap(), 4);
    mouse(&mut app, MouseEventKind::ScrollUp, 10, 10);
    mouse(&mut app, MouseEventKind::ScrollUp, 10, 10);
    assert_eq!(app.sessions_tab().selected_position().unwrap(), 2);
    // Clicking a tab title elsewhere on the bar.
    let (x, y) = find(&text, "5 Data");
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), x, y);
    assert_eq!(app.current_tab(), TabId::Data);
}

#[test]
fn y_copies_the_selected_row_and_u_opens_the_user_in_recommend() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('3'));
    let row = app.sessions_tab().selected().unwrap().session.clone();
    key(&mut app, KeyCode::Char('y'));
    let copied = app.take_clipboard().expect("a row was copied");
    let cells: Vec<&str> = copied.split('\t').collect();
    assert_eq!(cells[0], row.user_id);
    assert_eq!(cells[1], row.start.format("%Y-%m-%d %H:%M:%S").to_string());
    assert_eq!(cells[6], row.event_count.to_string());
    assert!(app.status().unwrap().contains("Copied"));
    assert_eq!(
        perx::ui::osc52("a"),
        "\x1b]52;c;YQ==\x07",
        "what the terminal gets"
    );
    // u: the session's user's reward recommendations in the Recommend tab.
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.current_tab(), TabId::Recommend);
    assert_eq!(app.recommend_tab().catalog(), Catalog::Rewards);
    assert_eq!(app.recommend_tab().input(), row.user_id);
    assert_eq!(app.recommend_tab().shown_rewards().len(), 10);
    let text = screen(&mut app, 160, 48);
    assert!(
        text.contains(&format!("Rewards for user {}", row.user_id)),
        "{text}"
    );
    assert!(app.error().is_none(), "{:?}", app.error());
}

/// Switches the Recommend tab to MovieLens movies (rewards are its default when the log
/// is loaded, as it is in these tests).
fn to_movies(app: &mut App) {
    if app.recommend_tab().catalog() == Catalog::Rewards {
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char('t'),
            KeyModifiers::CONTROL,
        )));
    }
    assert_eq!(app.recommend_tab().catalog(), Catalog::Movies);
}

#[test]
fn the_recommend_tab_shows_rewards_for_a_log_user_by_default() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('4'));
    assert_eq!(app.recommend_tab().catalog(), Catalog::Rewards);
    snapshot("recommend_rewards_empty_80x24", &screen(&mut app, 80, 24));
    // A user who was issued rewards: ten rewards, none of them issued to them already.
    typed(&mut app, "2000000033318");
    key(&mut app, KeyCode::Enter);
    let shown = app.recommend_tab().shown_rewards();
    assert_eq!(shown.len(), 10);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('e'));
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("Rewards for user 2000000033318"), "{text}");
    assert!(text.contains("because"), "{text}");
    // Under the list: how the model's parameters were chosen, and with `e` which.
    assert!(
        text.contains("model tuned on this data: NDCG@10 ") && text.contains("half-life "),
        "{text}"
    );
    snapshot("recommend_rewards_explained_160x48", &text);
    // The Data tab says what is saved beside the database: nothing, in memory.
    key(&mut app, KeyCode::Char('5'));
    let data = screen(&mut app, 160, 48);
    assert!(
        data.contains("Reward model") && data.contains("The database is in memory"),
        "{data}"
    );
    key(&mut app, KeyCode::Char('4'));
    // A stranger: the popular ones, and a message that says so.
    key(&mut app, KeyCode::Char('i'));
    for _ in 0..13 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "42");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.recommend_tab()
            .message()
            .unwrap()
            .contains("not in the HTTP log")
    );
    // Ctrl-T: MovieLens movies again.
    to_movies(&mut app);
    assert!(app.error().is_none(), "{:?}", app.error());
}

#[test]
fn sessions_filter_by_sgt_days_and_export_every_match() {
    use chrono::TimeZone;
    let (mut app, tmp) = app();
    let out = tmp.path().join("exports");
    std::fs::create_dir(&out).unwrap();
    let mut app = {
        // with_export_dir takes the app by value.
        let a = std::mem::replace(&mut app, App::new(memory_store()));
        a.with_export_dir(out.clone())
    };
    key(&mut app, KeyCode::Char('3'));
    let all = app.sessions_tab().total();
    let sgt = chrono_tz::Asia::Singapore;
    let hour = app
        .sessions_tab()
        .selected()
        .unwrap()
        .session
        .start
        .with_timezone(&sgt)
        .format("%Y-%m-%d %H:00")
        .to_string();
    let from = sgt
        .from_local_datetime(
            &chrono::NaiveDateTime::parse_from_str(&hour, "%Y-%m-%d %H:%M").unwrap(),
        )
        .unwrap();
    let to = from + chrono::Duration::hours(1);
    let typed_span = format!("{hour}..{}", to.format("%Y-%m-%dT%H:%M"));
    key(&mut app, KeyCode::Char('t'));
    typed(&mut app, &typed_span);
    key(&mut app, KeyCode::Enter);
    let some = app.sessions_tab().total();
    assert!(some > 0 && some < all, "{some} of {all}");
    key(&mut app, KeyCode::Home);
    let first = app.sessions_tab().selected().unwrap().session.start;
    assert!(first >= from && first < to, "{first}");
    // x exports all matches (in the background), not just the page, with provenance.
    key(&mut app, KeyCode::Char('x'));
    let status = app.status().unwrap().to_owned();
    assert!(
        status.contains(&format!("Exported {some} rows")),
        "{status}"
    );
    let csv = std::fs::read_to_string(out.join("perx-sessions.csv")).unwrap();
    let mut lines = csv.lines();
    // Session exports have the same header on every surface (the TUI wrote
    // `reward_driven` where the CLI writes `reward_driven_by_campaign_view`).
    assert_eq!(
        lines.next(),
        Some(
            <perx::report::SessionRow as perx::report::ReportRow>::columns(())
                .join(",")
                .as_str()
        )
    );
    assert!(
        <perx::report::SessionRow as perx::report::ReportRow>::columns(())
            .contains(&"reward_driven_by_campaign_view")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as u64, some);
    for r in &rows {
        let start = &r.split(',').nth(1).unwrap()[..19];
        let t = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M:%S"))
            .unwrap()
            .and_utc();
        assert!(t >= from && t < to, "{r}");
    }
    let meta = std::fs::read_to_string(out.join("perx-sessions.csv.meta.json")).unwrap();
    let utc_from = from.with_timezone(&chrono::Utc).to_rfc3339();
    assert!(meta.contains(&utc_from), "{utc_from} in {meta}");
    // A bad range is a message, not a filter.
    key(&mut app, KeyCode::Char('t'));
    typed(&mut app, "2024-02-30");
    key(&mut app, KeyCode::Enter);
    assert!(app.sessions_tab().message().unwrap().contains("YYYY-MM-DD"));
    assert_eq!(app.sessions_tab().total(), some);
}

#[test]
fn r_in_the_data_tab_reloads_from_the_recorded_files_in_the_background() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('5'));
    let before = screen(&mut app, 160, 48);
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::NONE,
    )));
    assert!(app.busy());
    app.wait_idle(Duration::from_secs(120));
    assert!(app.error().is_none(), "{:?}", app.error());
    let status = app.status().unwrap().to_owned();
    assert!(status.contains("Reloaded"), "{status}");
    assert!(
        status.contains("movielens"),
        "ratings reloaded too: {status}"
    );
    // Same files, same counts.
    let after = screen(&mut app, 160, 48);
    let counts = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains("http_log") || l.contains("ml_rating"))
            .map(|l| l.chars().take(40).collect())
            .collect()
    };
    assert_eq!(counts(&before), counts(&after));
    // The other tabs start afresh on the reloaded data.
    key(&mut app, KeyCode::Char('3'));
    assert!(app.sessions_tab().total() > 1000);
    // An in-memory database's reload leaves no Avro copy in the temporary directory.
    let avro = std::env::temp_dir().join(format!("perx-{}.http_log.avro", std::process::id()));
    assert!(!avro.exists(), "{} was left behind", avro.display());
    let _ = std::fs::remove_file(avro.with_extension("avro.rejects.csv"));
    let _ = std::fs::remove_file(avro);
}

#[test]
fn the_weekly_tab_filters_by_reward_name_and_charts_the_selected_reward() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('2'));
    let all = app.weekly_tab().result().unwrap().rows.len();
    let name = app.weekly_tab().result().unwrap().rows[0]
        .reward_name
        .clone();
    let text = screen(&mut app, 120, 40);
    assert!(
        text.contains(&format!("Redeemed per ISO week: {name}")),
        "{text}"
    );
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, &name);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.current_tab(),
        TabId::Weekly,
        "typed text switches no tab"
    );
    let rows = &app.weekly_tab().result().unwrap().rows;
    assert!(!rows.is_empty() && rows.len() < all);
    assert!(rows.iter().all(|r| r.reward_name == name));
    // An unknown name: the known ones are listed, the table stays.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "no such reward");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.weekly_tab()
            .message()
            .unwrap()
            .contains("known rewards")
    );
    assert!(app.error().is_none());
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.weekly_tab().result().unwrap().rows.len(), all);
}

#[test]
fn slash_finds_a_campaign_by_name_and_a_click_chooses_one() {
    let (mut app, _tmp) = app();
    assert_eq!(app.engagement_tab().query().unwrap().campaign_id, 1);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "CAMPAIGN 3");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.current_tab(),
        TabId::Engagement,
        "typed digits switch no tab"
    );
    assert_eq!(app.engagement_tab().query().unwrap().campaign_id, 3);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "no such");
    let text = screen(&mut app, 160, 48);
    assert!(
        text.contains("No campaign id or name contains that"),
        "{text}"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.engagement_tab().query().unwrap().campaign_id, 3);
    // A click on the first campaign of the list shows it.
    let text = screen(&mut app, 160, 48);
    let (x, y) = find(&text, "1 Sample Campaign 1");
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), x + 2, y);
    assert_eq!(app.engagement_tab().query().unwrap().campaign_id, 1);
}

#[test]
fn recommendations_are_selectable_and_y_copies_one() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('4'));
    to_movies(&mut app);
    typed(&mut app, "7");
    key(&mut app, KeyCode::Enter);
    let movies = app.recommend_tab().shown_movies();
    assert!(movies.len() >= 2);
    // Esc leaves the field; ↓ then chooses the second movie.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('y'));
    let copied = app.take_clipboard().expect("copied");
    let cells: Vec<&str> = copied.split('\t').collect();
    assert_eq!(cells[0], "7");
    assert_eq!(cells[1], "2");
    assert_eq!(cells[2], movies[1].to_string());
    // In the Engagement tab, y copies the chosen campaign.
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(
        app.take_clipboard().as_deref(),
        Some("1\tSample Campaign 1")
    );
}

#[test]
fn s_orders_the_weekly_and_engagement_tables_and_r_scrolls_the_results() {
    use perx::report::{EngagementRow, ReportRow, WeeklyRow};
    let (mut app, _tmp) = app();
    // Engagement: by rank, then by time with s; r focuses the results, ↓ and y copy a row.
    let rows = |app: &App| app.engagement_tab().result().unwrap().rows.clone();
    let ranked = rows(&app);
    let rank = |r: &EngagementRow| r.rank;
    assert!(ranked.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])));
    key(&mut app, KeyCode::Char('s'));
    let timed = rows(&app);
    assert_eq!(timed.len(), ranked.len());
    let when = |r: &EngagementRow| (r.slot.date(), r.slot.hour());
    assert!(timed.windows(2).all(|w| when(&w[0]) <= when(&w[1])));
    assert_ne!(timed, ranked);
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('y'));
    let copied = app.take_clipboard().unwrap();
    let second: Vec<String> = timed[1]
        .cells()
        .iter()
        .map(perx::report::output::cell_text)
        .collect();
    assert_eq!(copied, second.join("\t"));
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("by time, s: by rank"), "{text}");
    // Weekly: largest change first, then most redeemed first.
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('s'));
    let weekly = app.weekly_tab().result().unwrap().rows.clone();
    let pct = |r: &WeeklyRow| r.pct_diff_prev_week.unwrap_or(f64::NEG_INFINITY);
    assert!(weekly.windows(2).all(|w| pct(&w[0]) >= pct(&w[1])));
    key(&mut app, KeyCode::Char('s'));
    let weekly = app.weekly_tab().result().unwrap().rows.clone();
    let count = |r: &WeeklyRow| r.redeemed;
    assert!(weekly.windows(2).all(|w| count(&w[0]) >= count(&w[1])));
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("most redeemed first"), "{text}");
}

#[test]
fn help_is_printed_from_the_keymaps_and_scrolls_when_taller_than_the_screen() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('?'));
    let top = screen(&mut app, 80, 24);
    assert!(top.contains("Keys 1-22 of"), "{top}");
    assert!(top.contains("choose the campaign"), "{top}");
    key(&mut app, KeyCode::End);
    let bottom = screen(&mut app, 80, 24);
    assert!(bottom.contains("click a tab, a row"), "{bottom}");
    assert!(!bottom.contains("choose the campaign"), "{bottom}");
    // Far past the end and back: one step up shows one more row at the top.
    for _ in 0..5 {
        key(&mut app, KeyCode::PageDown);
    }
    key(&mut app, KeyCode::Home);
    assert_eq!(screen(&mut app, 80, 24), top);
    key(&mut app, KeyCode::Esc);
    assert!(!screen(&mut app, 80, 24).contains("Keys"));
    // Each tab's help is its own keymap plus the shared keys; the digits follow the tabs.
    for (i, tab) in TabId::ALL.iter().enumerate() {
        let digit = char::from_digit(i as u32 + 1, 10).unwrap();
        key(&mut app, KeyCode::Char(digit));
        assert_eq!(app.current_tab(), *tab);
        key(&mut app, KeyCode::Char('?'));
        let text = screen(&mut app, 200, 60);
        assert!(text.contains(&format!("{digit} {}", tab.title())), "{text}");
        key(&mut app, KeyCode::Esc);
    }
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('?'));
    let text = screen(&mut app, 200, 60);
    assert!(text.contains("open the selected session's user"), "{text}");
}

/// The Sessions tab speaks SGT, as the rest of perx: start times and a session's
/// requests; `z` switches to UTC (the log's and the exports' zone) and back.
#[test]
fn session_times_are_sgt_with_utc_on_z() {
    let (mut app, _tmp) = app();
    key(&mut app, KeyCode::Char('3'));
    let first = app.sessions_tab().selected().unwrap().session.clone();
    let sgt = (first.start + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let utc = first.start.format("%Y-%m-%d %H:%M:%S").to_string();
    let text = screen(&mut app, 120, 30);
    assert!(
        text.contains("start (SGT)") && text.contains(&sgt),
        "{text}"
    );
    key(&mut app, KeyCode::Char('z'));
    assert!(app.sessions_tab().shows_utc());
    let text = screen(&mut app, 120, 30);
    assert!(
        text.contains("start (UTC)") && text.contains(&utc),
        "{text}"
    );
    key(&mut app, KeyCode::Char('z'));
    key(&mut app, KeyCode::Enter);
    let text = screen(&mut app, 120, 30);
    assert!(text.contains("time (SGT)"), "{text}");
}

/// A reward id gets its name where the exports have one: a session's requests and the
/// rows that made it reward-driven say which reward it was.
#[test]
fn reward_ids_show_their_names() {
    let dir = crate::util::data_dir(&[
        (
            "campaign.csv",
            "id,name,status,updated_at\n10,Autumn,active,2019-08-01 00:00:00 UTC\n",
        ),
        (
            "reward_campaign.csv",
            "id,reward_name,updated_at,campaign_id\n100,Free Coffee,2019-08-01 00:00:00 UTC,10\n",
        ),
        (
            "campaign_reward_mapping.csv",
            "campaign_id,reward_id\n10,100\n",
        ),
        (
            "http_log.txt",
            "2019-08-26T16:00:00+00:00 GET /campaigns/10 7\n\
             2019-08-26T16:01:00+00:00 POST /rewards/100 7\n",
        ),
    ]);
    let mut store: Store = memory_store();
    load(&mut store, dir.path(), dir.path());
    let mut app = App::new(store);
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Enter);
    let text = screen(&mut app, 120, 30);
    assert!(text.contains("/rewards/100 (Free Coffee)"), "{text}");
    assert!(
        text.contains("campaign 10 → reward 100 (Free Coffee)"),
        "{text}"
    );
}
