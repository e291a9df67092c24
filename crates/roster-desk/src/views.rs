//! What crosses to the window: the views the commands return and the events the session
//! sends. None of them holds an API key (`SavedAccount` has none; invite links are stripped
//! from team views and copied on request instead).

use roster_core::api::{AuditEvent, Invite, Me, Member, Timestamp, listed_name, name_order};
use roster_core::{Cache, Cached, CopyOutcome, InviteLink, RawSnapshot, SavedAccount, Snapshot};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::AppError;
use crate::session::FIRST_PAGE;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum KeychainKind {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager).
    Os,
    /// A plain-text file the user opted into (`ROSTER_KEY_FILE`).
    File,
    /// Process memory only.
    Memory,
}

/// Where new keys go, and what the UI must tell the user about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeychainStatus {
    pub kind: KeychainKind,
    /// Keys sit on disk in plain text: new ones go to the file store, or some account's key
    /// is still there from when `ROSTER_KEY_FILE` was set.
    pub plain_text: bool,
    /// A banner to show while this holds (memory only, plain text, keychain unreachable).
    pub banner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccountsView {
    /// In switcher order.
    pub accounts: Vec<SavedAccount>,
    /// Local id of the active account.
    pub active: Option<String>,
    pub keychain: KeychainStatus,
    /// The embedded demo (`roster-desktop --demo`): throw-away server and accounts.
    pub demo: bool,
}

/// One account's team as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TeamView {
    /// Local id of the account.
    pub account: String,
    pub me: Me,
    /// Every member.
    pub members: Vec<Member>,
    /// Every invite, newest first, without links (`invite_recopy` copies one, fetched fresh).
    pub invites: Vec<Invite>,
    /// The newest audit events (empty for roles that may not read the log).
    pub audit: Vec<AuditEvent>,
    /// When this data came from the server.
    pub fetched_at: Timestamp,
    /// Served from the cache, not fresh from the server.
    pub stale: bool,
    /// Why the refresh failed, when cached data is shown instead.
    pub error: Option<AppError>,
    /// Only the first page of members (by name) and no invites or activity yet: the first
    /// screen of a team nothing was cached for, shown while `team_refresh` fetches the rest.
    pub partial: bool,
}

impl TeamView {
    pub(crate) fn from_cached(account: &str, cached: Cached, error: Option<AppError>) -> TeamView {
        let Cached { snapshot, saved_at } = cached;
        TeamView::from_snapshot(account, snapshot, saved_at, true, error)
    }

    pub(crate) fn from_snapshot(
        account: &str,
        s: Snapshot,
        fetched_at: Timestamp,
        stale: bool,
        error: Option<AppError>,
    ) -> TeamView {
        let invites = s.invites.into_iter().map(|i| Invite { link: None, ..i }).collect();
        TeamView {
            account: account.to_string(),
            me: s.me,
            members: s.members,
            invites,
            audit: s.audit,
            fetched_at,
            stale,
            error,
            partial: false,
        }
    }
}

/// A cached `TeamView` (`stale`) as JSON, spliced from the cache file's own text
/// (`Cache::load_raw`): what the window gets on a switch to a team it does not hold. A team
/// longer than `FIRST_PAGE` comes as its first screen (`partial`: those members, no invites or
/// activity) and the `team_refresh` that follows brings the rest, fresh or, failing that, the
/// whole cached team: sending 10,000 members at once spent most of a switch carrying and
/// parsing 2 MB the window shows 21 rows of (BENCHMARKS.md §2).
#[derive(Debug)]
pub struct CachedView(Box<RawValue>);

impl CachedView {
    /// `None` only if the cache's text is not what it vouches for, or serde_json cannot write
    /// what it just read: then there is no cache.
    fn new(account: &str, raw: RawSnapshot) -> Option<CachedView> {
        let no_cache = |e: &serde_json::Error| tracing::warn!(account, error = %e, "cached view not usable; no cache");
        // TeamView's fields, with the big ones as the file holds them.
        #[derive(Serialize)]
        struct View<'a> {
            account: &'a str,
            me: &'a RawValue,
            members: &'a RawValue,
            invites: &'a RawValue,
            audit: &'a RawValue,
            fetched_at: Timestamp,
            stale: bool,
            error: Option<AppError>,
            partial: bool,
        }
        let RawSnapshot { saved_at, me, members, invites, audit } = &raw;
        // Members split apart without being parsed: a scan of the text, no structs.
        let all: Vec<&RawValue> = serde_json::from_str(members.get()).inspect_err(no_cache).ok()?;
        let partial = all.len() > FIRST_PAGE as usize;
        let (first_screen, empty);
        let (members, invites, audit): (&RawValue, &RawValue, &RawValue) = if partial {
            first_screen = RawValue::from_string(
                serde_json::to_string(&all[..FIRST_PAGE as usize]).inspect_err(no_cache).ok()?,
            )
            .ok()?;
            empty = RawValue::from_string("[]".to_string()).ok()?;
            (&first_screen, &empty, &empty)
        } else {
            (members, invites, audit)
        };
        let view = View {
            account,
            me,
            members,
            invites,
            audit,
            fetched_at: *saved_at,
            stale: true,
            error: None,
            partial,
        };
        let json = serde_json::to_string(&view).inspect_err(no_cache).ok()?;
        RawValue::from_string(json).map(CachedView).ok()
    }

    pub(crate) fn load(cache: &Cache, account: &str) -> Option<CachedView> {
        cache.load_raw(account).and_then(|raw| CachedView::new(account, raw))
    }

    /// The JSON text, as the window receives it.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl Serialize for CachedView {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Sorts members into the order the window lists them by default, once, when they are
/// fetched: the cache then holds them in that order and a cached view goes to the window as
/// stored, where the web view's own order (Intl.Collator, the final word) finds the list
/// already sorted in one pass instead of sorting 10,000 names (BENCHMARKS.md §2).
pub(crate) fn in_name_order(members: &mut [Member]) {
    members.sort_by_cached_key(|m| name_order(listed_name(&m.name, &m.email)));
}

/// A created (or re-copied) invite, with what became of its link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InviteCreated {
    /// With its `link`, so the UI can show it when the copy failed.
    pub invite: Invite,
    /// The link is on the clipboard.
    pub copied: bool,
    /// "Link copied · expires Sun 6 Dec", or what to do when the copy failed.
    pub toast: String,
}

impl From<InviteLink> for InviteCreated {
    fn from(link: InviteLink) -> InviteCreated {
        let toast = link.summary(&chrono::Local::now());
        InviteCreated { copied: link.copy == CopyOutcome::Copied, toast, invite: link.invite }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CopiedMessage {
    pub text: String,
    pub copied: bool,
}

/// One live audit event of the active account (the shell emits it as "audit").
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditNotice {
    /// Local id of the account.
    pub account: String,
    pub event: AuditEvent,
    /// "Ana Lima joined Acme as Member" (invite accepted only): the native notification and
    /// the window's toast both show this text, built once here (`live::joined_message`).
    pub notification: Option<String>,
}

/// What the shell forwards from the session (`Desk::subscribe`).
#[derive(Debug, Clone)]
pub enum DeskEvent {
    /// A live audit event of the active account (boxed: an event is far larger than the rest).
    Audit(Box<AuditNotice>),
    /// The account list or the active account changed (the tray menu redraws).
    AccountsChanged,
    /// The live stream of `account` is connected (again): its events arrive from now on.
    LiveConnected { account: String },
}

/// A `CachedView` is a `TeamView` on the wire (spliced from the cache file's text).
#[cfg(feature = "ts")]
impl ts_rs::TS for CachedView {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(cfg: &ts_rs::Config) -> String {
        <TeamView as ts_rs::TS>::name(cfg)
    }

    fn inline(cfg: &ts_rs::Config) -> String {
        <TeamView as ts_rs::TS>::name(cfg)
    }
}
