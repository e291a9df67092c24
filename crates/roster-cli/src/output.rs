//! How results and failures look: aligned tables, relative times, JSON, and the one-line
//! `error[code]: message` with the exit code that goes with it. No secret ever reaches
//! these functions: they get wire types, core reports and core error messages.

use chrono::{DateTime, Utc};
use roster_core::{Error, ErrorCode};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

/// Exit codes (documented in `roster --help`).
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_AUTH: u8 = 3;

/// Why a command failed: a stable code (the server's own when it answered with one), a
/// message that says what to do, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: String,
    /// roster-core's code, when the failure came from core.
    pub kind: Option<ErrorCode>,
    pub message: String,
    pub exit: u8,
    /// The command already printed its result (a bulk report): in `--json` mode no second
    /// JSON document follows it on stdout.
    pub reported: bool,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: "usage".into(),
            kind: None,
            message: message.into(),
            exit: EXIT_USAGE,
            reported: false,
        }
    }

    pub fn new(code: &str, exit: u8, message: impl Into<String>) -> Failure {
        Failure { code: code.into(), kind: None, message: message.into(), exit, reported: false }
    }

    pub fn reported(mut self) -> Failure {
        self.reported = true;
        self
    }

    pub fn print(&self, json: bool) {
        eprintln!("error[{}]: {}", self.code, self.message);
        if json && !self.reported {
            #[derive(Serialize)]
            struct Body<'a> {
                code: &'a str,
                kind: Option<ErrorCode>,
                message: &'a str,
                exit_code: u8,
            }
            #[derive(Serialize)]
            struct Wrapper<'a> {
                error: Body<'a>,
            }
            print_json(&Wrapper {
                error: Body {
                    code: &self.code,
                    kind: self.kind,
                    message: &self.message,
                    exit_code: self.exit,
                },
            });
        }
    }
}

/// The exit code of a core error: 3 for the key and the keychain, 2 for input the user
/// typed (an account name, a server address, a label), 1 for everything the server said or
/// did not say (it refused, failed, or could not be reached) and for local storage.
pub fn exit_code(e: &Error) -> u8 {
    match e.code() {
        ErrorCode::BadKey
        | ErrorCode::KeychainUnavailable
        | ErrorCode::KeychainLocked
        | ErrorCode::KeyMissing => EXIT_AUTH,
        ErrorCode::InsecureUrl | ErrorCode::UnknownAccount => EXIT_USAGE,
        ErrorCode::Invalid if e.server_code().is_none() => EXIT_USAGE,
        _ => EXIT_FAILED,
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let code = match e.server_code() {
            Some(s) => s.as_str().to_string(),
            None => snake(&e.code()),
        };
        Failure {
            code,
            kind: Some(e.code()),
            message: e.to_string(),
            exit: exit_code(&e),
            reported: false,
        }
    }
}

/// `ErrorCode::KeyMissing` → `key_missing` (its serde name).
pub(crate) fn snake(code: &ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{code:?}"))
}

pub fn print_json<T: Serialize + ?Sized>(value: &T) {
    println!("{}", serde_json::to_string_pretty(value).expect("wire types serialise"));
}

/// Columns padded to their widest cell, two spaces apart. Widths are terminal columns, not
/// chars: a CJK character or an emoji takes two, and names and labels may hold either.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.width())))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// "just now", "4 min ago", "3 h ago", "12 d ago", "in 13 d", or a date past 60 days.
pub fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    let (future, s) = (secs < 0, secs.abs());
    if s < 60 {
        return "just now".into();
    }
    let amount = match s {
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s if s < 60 * 86_400 => format!("{} d", s / 86_400),
        _ => return t.format("%-d %b %Y").to_string(),
    };
    if future { format!("in {amount}") } else { format!("{amount} ago") }
}

pub fn ago_or(t: Option<DateTime<Utc>>, now: DateTime<Utc>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), |t| ago(t, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_times_when_made_relative_then_units_read_naturally() {
        let now: DateTime<Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
        let h = chrono::Duration::hours;
        assert_eq!(ago(now - chrono::Duration::seconds(5), now), "just now");
        assert_eq!(ago(now - chrono::Duration::minutes(4), now), "4 min ago");
        assert_eq!(ago(now - h(3), now), "3 h ago");
        assert_eq!(ago(now - h(24 * 12), now), "12 d ago");
        assert_eq!(ago(now + h(24 * 13 + 2), now), "in 13 d");
        assert_eq!(ago(now - h(24 * 90), now), "24 Aug 2026");
    }

    #[test]
    fn given_rows_when_tabled_then_columns_align_and_lines_have_no_trailing_space() {
        let t = table(
            &["NAME", "ROLE"],
            &[vec!["Ana Lima".into(), "Owner".into()], vec!["Bo".into(), "".into()]],
        );
        assert_eq!(t, "NAME      ROLE\nAna Lima  Owner\nBo\n");
    }

    #[test]
    fn given_wide_characters_when_tabled_then_columns_align_on_screen() {
        let t = table(
            &["NAME", "ROLE"],
            &[
                vec!["李小龍".into(), "Owner".into()],
                vec!["Ana 🚀".into(), "Member".into()],
                vec!["Bo".into(), "Admin".into()],
            ],
        );
        assert_eq!(t, "NAME    ROLE\n李小龍  Owner\nAna 🚀  Member\nBo      Admin\n");
        // "李小龍" has fewer chars than "NAME" but is wider on screen: every role still starts in one column.
        let role_column =
            |line: &str| line.trim_end_matches(|c: char| c.is_ascii_alphabetic()).width();
        assert!(t.lines().all(|l| role_column(l) == 8), "{t}");
    }

    #[test]
    fn given_core_errors_when_mapped_then_auth_usage_and_server_codes_differ() {
        for code in
            [ErrorCode::KeyMissing, ErrorCode::KeychainLocked, ErrorCode::KeychainUnavailable]
        {
            let f = Failure::from(Error::Keychain { code, message: "what to do".into() });
            assert_eq!((f.exit, f.kind), (EXIT_AUTH, Some(code)));
        }
        assert_eq!(Failure::from(Error::UnknownAccount("x".into())).exit, EXIT_USAGE);
        let f = Failure::from(Error::Unreachable {
            url: "http://127.0.0.1:1".into(),
            reason: "refused".into(),
        });
        assert_eq!((f.code.as_str(), f.exit), ("unreachable", EXIT_FAILED));
    }
}
