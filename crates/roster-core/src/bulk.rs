//! Bulk invites, for the app and the CLI: [`plan_bulk`] reads a pasted list or CSV into rows
//! (header, comments, duplicates, roles by id or name), [`bulk_invite`] creates them one by
//! one and copies the created links, and [`BulkReport`] says per row what happened, stopping
//! early when every later row would fail the same way (seats full, key refused, …).

use std::collections::HashMap;

use roster_api::{Delivery, IdentityProviderRestriction, Invite, NewInvite, TeamPolicy};
use serde::{Deserialize, Serialize};

use crate::client::{IdempotencyKey, TeamClient};
use crate::error::{Error, ErrorCode};
use crate::flows::{CopyOutcome, CopyTo};

/// One person to invite, read from a pasted list or CSV.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRow {
    /// 1-based line of the input, for "line 7: …".
    pub line: usize,
    pub email: String,
    /// A role id of the policy when the input named one (by id or display name), else the
    /// text as typed, which the server then refuses with `unknown_role`.
    pub role: String,
    /// Set when the same e-mail came earlier in the input: the line of that first mention.
    pub duplicate_of: Option<usize>,
    /// One key per row, made when the plan is made: running the same plan again (after a
    /// stop, or a lost answer) never invites anyone twice.
    #[serde(skip)]
    key: IdempotencyKey,
}

/// The rows of a bulk invite before any is sent; show it, then pass it to [`bulk_invite`].
#[derive(Debug, Clone, Serialize)]
pub struct BulkPlan {
    pub rows: Vec<PlannedRow>,
}

/// Settings applied to every row of a bulk invite: those of [`NewInvite`], named and
/// serialised as there, but the notification e-mail, which is per person. The desktop UI sends
/// them as JSON (`invite_bulk`'s `options`); an unknown field is refused rather than dropped,
/// so a setting the user chose is never silently left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct BulkOptions {
    /// Defaults to the policy's first delivery method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub delivery: Option<Delivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub identity_provider: Option<IdentityProviderRestriction>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_secure_sign_in: bool,
    /// 1..=policy lifetime; defaults to the policy lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub expires_in_days: Option<u32>,
}

/// Reads a pasted list or CSV into rows.
///
/// Accepted, one or more per line:
/// - `email,role` (CSV; `;` works too; fields may be double-quoted). A header line such as
///   `email,role` or `Name,Email,Role` is recognised (no `@` in it, a field named
///   email/e-mail/username) and then picks the columns;
/// - lists of bare addresses separated by commas, semicolons or whitespace, and
///   `Name <ana@example.com>` as mail programs paste them;
/// - `email role` separated by whitespace when the second word is a role of the policy.
///
/// Blank lines and lines starting with `#` or `//` are ignored. A role is matched to the
/// policy by id or display name, case-insensitively; rows without one get `default_role`
/// (the policy's default when `None`). An address seen before (case-insensitively) is
/// marked as a duplicate of its first line. Nothing is checked here that the server checks:
/// it answers per row, with its own codes.
pub fn plan_bulk(input: &str, policy: &TeamPolicy, default_role: Option<&str>) -> BulkPlan {
    let default_role = default_role.unwrap_or(&policy.default_role).to_string();
    let mut columns: Option<(usize, Option<usize>)> = None;
    let mut seen_data = false;
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    for (i, raw) in input.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let fields = split_fields(line);
        if !seen_data {
            seen_data = true;
            if let Some(c) = header_columns(&fields) {
                columns = Some(c);
                continue;
            }
        }
        for (email, role) in entries(&fields, columns, policy) {
            let role = match role {
                Some(r) => resolve_role(policy, &r),
                None => default_role.clone(),
            };
            let duplicate_of = first.get(&email.to_lowercase()).copied();
            if duplicate_of.is_none() {
                first.insert(email.to_lowercase(), i + 1);
            }
            rows.push(PlannedRow {
                line: i + 1,
                email,
                role,
                duplicate_of,
                key: IdempotencyKey::new(),
            });
        }
    }
    BulkPlan { rows }
}

/// Splits a line at `,` and `;` outside double quotes; trims and unquotes each field.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' | ';' if !quoted => fields.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    fields.push(cur.trim().to_string());
    fields
}

fn header_columns(fields: &[String]) -> Option<(usize, Option<usize>)> {
    if fields.iter().any(|f| f.contains('@')) {
        return None;
    }
    let norm = |f: &str| f.to_lowercase().replace(['-', '_', ' '], "");
    let email = fields.iter().position(|f| {
        matches!(norm(f).as_str(), "email" | "emailaddress" | "mail" | "username" | "login")
    })?;
    let role = fields.iter().position(|f| matches!(norm(f).as_str(), "role" | "roles"));
    Some((email, role))
}

/// The (address, role) pairs of one line.
fn entries(
    fields: &[String],
    columns: Option<(usize, Option<usize>)>,
    policy: &TeamPolicy,
) -> Vec<(String, Option<String>)> {
    if let Some((email_col, role_col)) = columns
        && fields.len() > 1
    {
        let email = fields.get(email_col).map(|f| address(f)).unwrap_or_default();
        let role = role_col.and_then(|c| fields.get(c)).filter(|r| !r.is_empty()).cloned();
        return if email.is_empty() { Vec::new() } else { vec![(email, role)] };
    }
    if fields.len() == 2
        && !fields[1].is_empty()
        && !fields[1].contains('@')
        && !fields[0].is_empty()
    {
        return vec![(address(&fields[0]), Some(fields[1].clone()))];
    }
    let mut out = Vec::new();
    for field in fields.iter().filter(|f| !f.is_empty()) {
        if field.contains('<') && field.contains('>') {
            out.push((address(field), None));
            continue;
        }
        let words: Vec<&str> = field.split_whitespace().collect();
        if let [email, role] = words.as_slice()
            && email.contains('@')
            && !role.contains('@')
            && known_role(policy, role).is_some()
        {
            out.push((address(email), Some(role.to_string())));
            continue;
        }
        out.extend(words.into_iter().map(|w| (address(w), None)));
    }
    out
}

/// `Ana <ana@example.com>` → `ana@example.com`; `mailto:` and quotes stripped.
fn address(field: &str) -> String {
    let f = field.trim();
    let f = match (f.rfind('<'), f.rfind('>')) {
        (Some(a), Some(b)) if a < b => &f[a + 1..b],
        _ => f,
    };
    let f = f.trim().trim_matches('"').trim();
    f.strip_prefix("mailto:").unwrap_or(f).to_string()
}

fn known_role<'a>(policy: &'a TeamPolicy, text: &str) -> Option<&'a str> {
    policy.find_role(text).map(|r| r.id.as_str())
}

fn resolve_role(policy: &TeamPolicy, text: &str) -> String {
    known_role(policy, text).map_or_else(|| text.trim().to_string(), str::to_string)
}

/// What became of one row.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RowOutcome {
    Created {
        invite: Box<Invite>,
    },
    /// The same address came earlier in the input; only the first is sent.
    Duplicate {
        first_line: usize,
    },
    /// The server refused this row; `server_code` is its machine code (`seat_limit_reached`,
    /// `already_member`, `invite_exists`, `validation_failed`, `unknown_role`, …).
    Refused {
        code: ErrorCode,
        server_code: Option<roster_api::ErrorCode>,
        message: String,
    },
    /// Not sent because an earlier row stopped the run; `reason` says why ("seats full").
    NotAttempted {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BulkRow {
    pub line: usize,
    pub email: String,
    pub role: String,
    pub outcome: RowOutcome,
}

/// Why a bulk run stopped before its last row.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BulkStop {
    /// The row whose answer stopped the run.
    pub line: usize,
    pub code: ErrorCode,
    /// Short, for each row not attempted: "seats full".
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BulkReport {
    pub rows: Vec<BulkRow>,
    pub stopped: Option<BulkStop>,
    /// The created links, one per line, when a copy was asked for.
    pub copy: CopyOutcome,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BulkCounts {
    pub created: usize,
    pub duplicates: usize,
    pub refused: usize,
    pub not_attempted: usize,
}

impl BulkReport {
    pub fn created(&self) -> impl Iterator<Item = &Invite> {
        self.rows.iter().filter_map(|r| match &r.outcome {
            RowOutcome::Created { invite } => Some(&**invite),
            _ => None,
        })
    }

    /// The links of the created invites, in input order.
    pub fn links(&self) -> Vec<&str> {
        self.created().filter_map(|i| i.link.as_deref()).collect()
    }

    pub fn counts(&self) -> BulkCounts {
        let mut c = BulkCounts::default();
        for r in &self.rows {
            match r.outcome {
                RowOutcome::Created { .. } => c.created += 1,
                RowOutcome::Duplicate { .. } => c.duplicates += 1,
                RowOutcome::Refused { .. } => c.refused += 1,
                RowOutcome::NotAttempted { .. } => c.not_attempted += 1,
            }
        }
        c
    }

    /// "3 invited · 1 duplicate skipped · 2 refused · 2 not attempted (seats full) · 3 links copied".
    pub fn summary(&self) -> String {
        let c = self.counts();
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = vec![format!("{} invited", c.created)];
        if c.duplicates > 0 {
            parts.push(plural(c.duplicates, "duplicate skipped", "duplicates skipped"));
        }
        if c.refused > 0 {
            parts.push(format!("{} refused", c.refused));
        }
        if c.not_attempted > 0 {
            let why = self.stopped.as_ref().map(|s| format!(" ({})", s.reason)).unwrap_or_default();
            parts.push(format!("{} not attempted{why}", c.not_attempted));
        }
        match &self.copy {
            CopyOutcome::Copied => parts.push(plural(c.created, "link copied", "links copied")),
            CopyOutcome::Failed { .. } => parts.push("links not copied, copy them by hand".into()),
            CopyOutcome::NotRequested | CopyOutcome::NoLink => {}
        }
        parts.join(" · ")
    }

    /// The rows worth sending again once the cause is fixed (the one that stopped the run
    /// and those not attempted), as `email,role` lines to paste back in.
    pub fn retry_input(&self) -> String {
        let stop_line = self.stopped.as_ref().map(|s| s.line);
        self.rows
            .iter()
            .filter(|r| match r.outcome {
                RowOutcome::NotAttempted { .. } => true,
                RowOutcome::Refused { .. } => Some(r.line) == stop_line,
                _ => false,
            })
            .map(|r| format!("{},{}\n", r.email, r.role))
            .collect()
    }
}

/// Sends a plan row by row, in order, and reports each row.
///
/// A refusal about the row itself (invalid address, unknown role, already a member, already
/// invited, not allowed by the policy) is reported and the run goes on. An answer that
/// would be the same for every later row stops the run, and each later row is reported as
/// not attempted with the reason: `seat_limit_reached` ("seats full": seats only free up by
/// someone revoking or removing, so every later row would fail alike — stopping also keeps
/// the report short and [`BulkReport::retry_input`] gives the rows to paste again), a
/// refused key, a role that cannot invite, and an unreachable, overloaded or failing server.
/// Duplicates within the input are never sent. Nothing happens silently: every row of the
/// plan has exactly one outcome. At the end the created links, one per line, are copied.
pub async fn bulk_invite(
    client: &TeamClient,
    plan: &BulkPlan,
    options: &BulkOptions,
    copy: &CopyTo<'_>,
) -> BulkReport {
    let mut rows = Vec::with_capacity(plan.rows.len());
    let mut stopped: Option<BulkStop> = None;
    for p in &plan.rows {
        let outcome = if let Some(first_line) = p.duplicate_of {
            RowOutcome::Duplicate { first_line }
        } else if let Some(stop) = &stopped {
            RowOutcome::NotAttempted { reason: stop.reason.clone() }
        } else {
            let new = NewInvite {
                email: p.email.clone(),
                role: p.role.clone(),
                delivery: options.delivery,
                notification_email: None,
                identity_provider: options.identity_provider.clone(),
                require_secure_sign_in: options.require_secure_sign_in,
                expires_in_days: options.expires_in_days,
            };
            match client.create_invite(&new, &p.key).await {
                Ok(invite) => RowOutcome::Created { invite: Box::new(invite) },
                Err(e) => {
                    if let Some(reason) = stops_the_run(&e) {
                        stopped = Some(BulkStop { line: p.line, code: e.code(), reason });
                    }
                    RowOutcome::Refused {
                        code: e.code(),
                        server_code: e.server_code(),
                        message: e.to_string(),
                    }
                }
            }
        };
        rows.push(BulkRow { line: p.line, email: p.email.clone(), role: p.role.clone(), outcome });
    }
    let mut report = BulkReport { rows, stopped, copy: CopyOutcome::NoLink };
    let links = report.links().join("\n");
    if !links.is_empty() {
        report.copy = copy.put(&links);
    } else if matches!(copy, CopyTo::Nowhere) {
        report.copy = CopyOutcome::NotRequested;
    }
    report
}

/// The reason every later row would fail the same way, if this error is such an answer.
fn stops_the_run(e: &Error) -> Option<String> {
    let reason = match e.code() {
        ErrorCode::SeatLimit => "seats full",
        ErrorCode::BadKey => "the API key was refused",
        ErrorCode::NoPermission if e.server_code() == Some(roster_api::ErrorCode::Forbidden) => {
            "your role cannot invite"
        }
        ErrorCode::Unreachable => "the server could not be reached",
        ErrorCode::RateLimited => "the server asked to slow down",
        ErrorCode::ServerError | ErrorCode::BadResponse => "the server failed",
        _ => return None,
    };
    Some(reason.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::tests::{invite, now, policy};
    use roster_api::Problem;

    fn planned(input: &str) -> Vec<(usize, String, String, Option<usize>)> {
        plan_bulk(input, &policy(), None)
            .rows
            .into_iter()
            .map(|r| (r.line, r.email, r.role, r.duplicate_of))
            .collect()
    }

    fn row(
        line: usize,
        email: &str,
        role: &str,
        dup: Option<usize>,
    ) -> (usize, String, String, Option<usize>) {
        (line, email.into(), role.into(), dup)
    }

    #[test]
    fn given_csv_with_header_comments_and_blanks_when_planned_then_rows_keep_their_lines() {
        let input = "\u{feff}email,role\n\n# the new hires\nana@x.com,member\n  ben@x.com , Billing viewer \n\"cara@x.com\",\"OWNER\"\ndan@x.com\n// done\n";
        assert_eq!(
            planned(input),
            vec![
                row(4, "ana@x.com", "member", None),
                row(5, "ben@x.com", "billing_viewer", None),
                row(6, "cara@x.com", "owner", None),
                row(7, "dan@x.com", "member", None),
            ]
        );
    }

    #[test]
    fn given_a_header_with_more_columns_when_planned_then_email_and_role_columns_are_used() {
        let input = "Name,E-mail,Team,Role\nAna Lima,ana@x.com,core,Member\nBen,ben@x.com,ops,\n";
        assert_eq!(
            planned(input),
            vec![row(2, "ana@x.com", "member", None), row(3, "ben@x.com", "member", None)]
        );
    }

    #[test]
    fn given_lists_of_bare_addresses_when_planned_then_each_is_a_row_with_the_default_role() {
        let input = "ana@x.com, ben@x.com; cara@x.com\ndan@x.com eve@x.com\tfay@x.com\nGus Ortega <gus@x.com>, \"Hana\" <hana@x.com>\nmailto:ivan@x.com";
        let rows = planned(input);
        let emails: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(
            emails,
            [
                "ana@x.com",
                "ben@x.com",
                "cara@x.com",
                "dan@x.com",
                "eve@x.com",
                "fay@x.com",
                "gus@x.com",
                "hana@x.com",
                "ivan@x.com"
            ]
        );
        assert!(rows.iter().all(|r| r.2 == "member"));
        assert_eq!(rows[3].0, 2);
    }

    #[test]
    fn given_email_and_known_role_separated_by_space_when_planned_then_role_is_taken() {
        assert_eq!(planned("ana@x.com owner"), vec![row(1, "ana@x.com", "owner", None)]);
        // An unknown word is not a role: it is sent as an address, and the server refuses it.
        assert_eq!(
            planned("ana@x.com boss"),
            vec![row(1, "ana@x.com", "member", None), row(1, "boss", "member", None)]
        );
    }

    #[test]
    fn given_duplicates_when_planned_then_later_ones_point_to_the_first_line() {
        let input = "ana@x.com,member\nben@x.com\nANA@x.com,owner\nben@x.com, ben@x.com";
        assert_eq!(
            planned(input),
            vec![
                row(1, "ana@x.com", "member", None),
                row(2, "ben@x.com", "member", None),
                row(3, "ANA@x.com", "owner", Some(1)),
                row(4, "ben@x.com", "member", Some(2)),
                row(4, "ben@x.com", "member", Some(2)),
            ]
        );
    }

    #[test]
    fn given_an_unknown_role_when_planned_then_it_is_kept_as_typed_for_the_server_to_refuse() {
        assert_eq!(planned("ana@x.com, superuser "), vec![row(1, "ana@x.com", "superuser", None)]);
        let plan = plan_bulk("ana@x.com", &policy(), Some("billing_viewer"));
        assert_eq!(plan.rows[0].role, "billing_viewer");
    }

    #[test]
    fn given_rows_when_planned_then_each_has_its_own_idempotency_key() {
        let plan = plan_bulk("a@x.com\nb@x.com", &policy(), None);
        assert_ne!(plan.rows[0].key, plan.rows[1].key);
    }

    #[test]
    fn given_a_stopped_report_when_summarised_then_counts_reason_and_retry_rows_show() {
        let inv = invite(now() + chrono::Duration::days(14));
        let refused = |code, server| RowOutcome::Refused {
            code,
            server_code: Some(server),
            message: "no".into(),
        };
        let rows = vec![
            BulkRow {
                line: 1,
                email: "a@x.com".into(),
                role: "member".into(),
                outcome: RowOutcome::Created { invite: Box::new(inv) },
            },
            BulkRow {
                line: 2,
                email: "a@x.com".into(),
                role: "member".into(),
                outcome: RowOutcome::Duplicate { first_line: 1 },
            },
            BulkRow {
                line: 3,
                email: "bad".into(),
                role: "member".into(),
                outcome: refused(ErrorCode::Invalid, roster_api::ErrorCode::ValidationFailed),
            },
            BulkRow {
                line: 4,
                email: "c@x.com".into(),
                role: "member".into(),
                outcome: refused(ErrorCode::SeatLimit, roster_api::ErrorCode::SeatLimitReached),
            },
            BulkRow {
                line: 5,
                email: "d@x.com".into(),
                role: "owner".into(),
                outcome: RowOutcome::NotAttempted { reason: "seats full".into() },
            },
        ];
        let report = BulkReport {
            rows,
            stopped: Some(BulkStop {
                line: 4,
                code: ErrorCode::SeatLimit,
                reason: "seats full".into(),
            }),
            copy: CopyOutcome::Copied,
        };
        assert_eq!(
            report.counts(),
            BulkCounts { created: 1, duplicates: 1, refused: 2, not_attempted: 1 }
        );
        assert_eq!(
            report.summary(),
            "1 invited · 1 duplicate skipped · 2 refused · 1 not attempted (seats full) · 1 link copied"
        );
        assert_eq!(report.retry_input(), "c@x.com,member\nd@x.com,owner\n");
        assert_eq!(report.links(), ["https://roster.example/join/tok"]);
    }

    #[test]
    fn given_errors_when_classified_then_only_run_wide_ones_stop_the_run() {
        let api = |code: roster_api::ErrorCode| Error::Api {
            problem: Problem {
                type_: String::new(),
                title: String::new(),
                status: 409,
                detail: String::new(),
                code,
                errors: vec![],
            },
            retry_after: None,
        };
        use roster_api::ErrorCode as S;
        assert_eq!(stops_the_run(&api(S::SeatLimitReached)).as_deref(), Some("seats full"));
        assert_eq!(stops_the_run(&api(S::Forbidden)).as_deref(), Some("your role cannot invite"));
        assert_eq!(
            stops_the_run(&api(S::Unauthorized)).as_deref(),
            Some("the API key was refused")
        );
        assert!(
            stops_the_run(&Error::Unreachable { url: String::new(), reason: String::new() })
                .is_some()
        );
        for row_level in [
            S::ValidationFailed,
            S::UnknownRole,
            S::AlreadyMember,
            S::InviteExists,
            S::OwnerOnly,
            S::NotAllowedByPolicy,
        ] {
            assert_eq!(stops_the_run(&api(row_level)), None, "{row_level:?}");
        }
    }
}
