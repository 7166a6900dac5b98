//! Keymaps as data: each tab (and the app itself) has one table of (keys, command, help);
//! the key handler looks commands up in it and the help overlay is printed from it, so
//! what `?` says is what the keys do. Commands are each tab's own enum (the helix and
//! gitui model: commands apart from the keys bound to them). Text fields being typed in
//! are not keymapped: while one has focus, keys are text.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key: a code and the modifiers it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl needed (Shift is part of the character for printable keys).
    pub mods: KeyModifiers,
}

/// A plain character key.
pub const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

/// A named key (arrows, Enter, F-keys…).
pub const fn key(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

/// Ctrl + a character.
pub const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

impl Key {
    /// Whether the pressed `event` is this key. Ctrl must match. Shift is ignored (it is
    /// already in the character, and terminals differ in reporting it), and so is Alt: a
    /// terminal reads Esc followed quickly by a key as Alt and that key, and the key must
    /// still work.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let wanted = KeyModifiers::CONTROL;
        let same_code = match (self.code, event.code) {
            // Shift-Tab arrives as BackTab.
            (KeyCode::BackTab, KeyCode::BackTab) => true,
            (a, b) => a == b,
        };
        same_code && (event.modifiers & wanted) == (self.mods & wanted)
    }

    /// How the help overlay writes the key.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "Shift-Tab".to_owned(),
            KeyCode::Backspace => "Backspace".to_owned(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// One row of a keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding<C: 'static> {
    /// The keys that run the command (the first ones are shown first in help).
    pub keys: &'static [Key],
    /// The command.
    pub command: C,
    /// What it does, for the help overlay.
    pub help: &'static str,
}

/// The command `event` is bound to in `map`, if any (the first row that has it).
pub fn command<C: Copy>(map: &[Binding<C>], event: &KeyEvent) -> Option<C> {
    map.iter()
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.command)
}

/// The help overlay's rows for `map`: the keys, then what they do.
pub fn help<C>(map: &[Binding<C>]) -> Vec<(String, String)> {
    map.iter()
        .map(|b| {
            let keys: Vec<String> = b.keys.iter().map(Key::label).collect();
            (keys.join(" "), b.help.to_owned())
        })
        .collect()
}

/// The list movements most tabs share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// One row down.
    Down,
    /// One row up.
    Up,
    /// A page down.
    PageDown,
    /// A page up.
    PageUp,
    /// The first row.
    First,
    /// The last row.
    Last,
}

impl Move {
    /// Where the selection goes from `at` in a list of `len` rows (`page` rows a page).
    pub fn apply(self, at: usize, len: usize, page: usize) -> usize {
        let last = len.saturating_sub(1);
        match self {
            Move::Down => (at + 1).min(last),
            Move::Up => at.saturating_sub(1),
            Move::PageDown => (at + page).min(last),
            Move::PageUp => at.saturating_sub(page),
            Move::First => 0,
            Move::Last => last,
        }
    }

    /// How many rows it moves by in a paged list (the Sessions tab reads by key).
    pub fn delta(self, page: i64) -> Option<i64> {
        match self {
            Move::Down => Some(1),
            Move::Up => Some(-1),
            Move::PageDown => Some(page),
            Move::PageUp => Some(-page),
            Move::First | Move::Last => None,
        }
    }
}

impl Move {
    /// The movement `event` asks for, if it is one of [`MOVE_KEYS`].
    pub fn of(event: &KeyEvent) -> Option<Move> {
        MOVES
            .iter()
            .find(|(k, _)| k.matches(event))
            .map(|(_, m)| *m)
    }
}

const MOVES: [(Key, Move); 8] = [
    (key(KeyCode::Down), Move::Down),
    (ch('j'), Move::Down),
    (key(KeyCode::Up), Move::Up),
    (ch('k'), Move::Up),
    (key(KeyCode::PageDown), Move::PageDown),
    (key(KeyCode::PageUp), Move::PageUp),
    (key(KeyCode::Home), Move::First),
    (key(KeyCode::End), Move::Last),
];

/// The keys of [`Move`]: one keymap row runs whichever [`Move::of`] the key.
pub const MOVE_KEYS: &[Key] = &[
    MOVES[0].0, MOVES[1].0, MOVES[2].0, MOVES[3].0, MOVES[4].0, MOVES[5].0, MOVES[6].0, MOVES[7].0,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum C {
        A,
        B,
        Quit,
    }

    const MAP: &[Binding<C>] = &[
        Binding {
            keys: &[ch('a'), key(KeyCode::Enter)],
            command: C::A,
            help: "do a",
        },
        Binding {
            keys: &[ch('B')],
            command: C::B,
            help: "do b",
        },
        Binding {
            keys: &[ctrl('c')],
            command: C::Quit,
            help: "quit",
        },
    ];

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn keys_find_their_commands() {
        let none = KeyModifiers::NONE;
        assert_eq!(command(MAP, &press(KeyCode::Char('a'), none)), Some(C::A));
        assert_eq!(command(MAP, &press(KeyCode::Enter, none)), Some(C::A));
        // Shift comes with the capital; Ctrl must match.
        let shift = KeyModifiers::SHIFT;
        assert_eq!(command(MAP, &press(KeyCode::Char('B'), shift)), Some(C::B));
        let ctl = KeyModifiers::CONTROL;
        assert_eq!(command(MAP, &press(KeyCode::Char('c'), ctl)), Some(C::Quit));
        assert_eq!(command(MAP, &press(KeyCode::Char('c'), none)), None);
        assert_eq!(command(MAP, &press(KeyCode::Char('a'), ctl)), None);
        // Esc then `a` typed fast arrives as Alt-a.
        let alt = KeyModifiers::ALT;
        assert_eq!(command(MAP, &press(KeyCode::Char('a'), alt)), Some(C::A));
    }

    #[test]
    fn help_is_printed_from_the_map() {
        assert_eq!(
            help(MAP),
            [
                ("a Enter".to_owned(), "do a".to_owned()),
                ("B".to_owned(), "do b".to_owned()),
                ("Ctrl-c".to_owned(), "quit".to_owned())
            ]
        );
    }

    #[test]
    fn every_move_key_is_a_move() {
        for k in MOVE_KEYS {
            assert!(Move::of(&KeyEvent::new(k.code, k.mods)).is_some(), "{k:?}");
        }
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(Move::of(&q), None);
    }

    #[test]
    fn moves_stay_in_the_list() {
        assert_eq!(Move::Down.apply(4, 5, 10), 4);
        assert_eq!(Move::Up.apply(0, 5, 10), 0);
        assert_eq!(Move::PageDown.apply(1, 5, 10), 4);
        assert_eq!(Move::Last.apply(1, 0, 10), 0);
    }
}
