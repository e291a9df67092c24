//! `Desk`: one desktop-app session over roster-core. The Tauri shell's commands are one call
//! each into it (`ui → command → Desk → TeamClient → server`), so everything the window does
//! is here and tested here: the account list (`AccountStore`), cached snapshots for instant
//! switching with a refresh that falls back to stale data, the live event stream of the
//! active account (reconnecting with `Last-Event-ID` and backoff), the invite flows with their
//! links copied to the clipboard as sensitive, and the embedded demo (feature `demo`).
//!
//! Keys: an API key enters once, in `account_add` / `account_rekey`, goes to the keychain,
//! and lives on only inside the `TeamClient`s kept here. Nothing this module returns or
//! broadcasts carries one: views hold `SavedAccount`s (no secret), errors are `AppError`
//! (code + message, never a key), and invite links are stripped from team views (they are
//! copied on request instead, fetched fresh).
//!
//! Keychain calls block (up to the keychain timeout), so every touch of the account store
//! runs on tokio's blocking pool; async methods never stall the runtime's workers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use futures::StreamExt;
use roster_api::{listed_name, name_order, AuditAction, AuditEvent, Invite, Me, Member, MemberPatch, MemberUpdate, MemberSort, NewInvite, OwnerPromotion, Page, Timestamp};
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::broadcast;

use crate::accounts::{AccountStore, KeyReport, SavedAccount, VerifiedKey};
use crate::cache::{Cache, Cached, RawSnapshot, Snapshot};
use crate::client::{AuditQuery, Http, HttpConfig, IdempotencyKey, InviteQuery, MemberQuery, TeamClient, server_url};
use crate::clipboard::{Clipboard, CopyOptions};
use crate::error::{Error, ErrorCode, Result};
use crate::flows::{self, BulkOptions, BulkReport, CopyOutcome, CopyTo, InviteLink};
use crate::keychain::{KeyStore, Keychain};
use crate::secret::ApiKey;

/// Audit events in a team view: the newest this many.
pub const AUDIT_IN_VIEW: u32 = 200;
/// Audit events per page of `audit_page`.
pub const AUDIT_PAGE: u32 = 100;
/// Members on a team's first screen before the rest has loaded: a page as large as the API
/// gives, more than a window shows.
pub const FIRST_PAGE: u32 = 200;
/// Longest wait between two attempts to reconnect the live event stream.
pub const LIVE_MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A cached snapshot younger than this seeds the live stream's `Last-Event-ID`, so events
/// between the last refresh and the stream's start are replayed, not lost. Older ones would
/// replay (and notify) too much history.
const LIVE_RESUME_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

// ------------------------------------------------------------------------------------------
// What crosses to the UI

/// An error as the UI receives it: the code it branches on and a message that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError { code, message: message.into() }
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        AppError { code: e.code(), message: e.to_string() }
    }
}

impl From<&Error> for AppError {
    fn from(e: &Error) -> AppError {
        AppError { code: e.code(), message: e.to_string() }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

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
    fn from_cached(account: &str, cached: Cached, error: Option<AppError>) -> TeamView {
        let Cached { snapshot, saved_at } = cached;
        TeamView::from_snapshot(account, snapshot, saved_at, true, error)
    }

    fn from_snapshot(account: &str, s: Snapshot, fetched_at: Timestamp, stale: bool, error: Option<AppError>) -> TeamView {
        let invites = s.invites.into_iter().map(|i| Invite { link: None, ..i }).collect();
        TeamView { account: account.to_string(), me: s.me, members: s.members, invites, audit: s.audit, fetched_at, stale, error, partial: false }
    }
}

/// A cached `TeamView` (`stale`) as JSON, spliced from the cache file's own text
/// (`Cache::load_raw`): what the window gets on a switch to a team it does not hold. A team
/// longer than `FIRST_PAGE` comes as its first screen (`partial`: those members, no invites or
/// activity) and the `team_refresh` that follows brings the rest, fresh or, failing that, the
/// whole cached team: 10,000 members took ~110 ms from the click to the DOM, most of it
/// carrying and parsing 2 MB the window shows 21 rows of (BENCHMARKS.md §2).
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
            first_screen = RawValue::from_string(serde_json::to_string(&all[..FIRST_PAGE as usize]).inspect_err(no_cache).ok()?).ok()?;
            empty = RawValue::from_string("[]".to_string()).ok()?;
            (&first_screen, &empty, &empty)
        } else {
            (members, invites, audit)
        };
        let view = View { account, me, members, invites, audit, fetched_at: *saved_at, stale: true, error: None, partial };
        let json = serde_json::to_string(&view).inspect_err(no_cache).ok()?;
        RawValue::from_string(json).map(CachedView).ok()
    }

    fn load(cache: &Cache, account: &str) -> Option<CachedView> {
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
fn in_name_order(members: &mut [Member]) {
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
    /// For a native notification: "Ana Lima joined Acme as Member" (invite accepted only).
    #[serde(skip)]
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

// ------------------------------------------------------------------------------------------
// The session

/// The desktop session (cheap to share: the shell keeps one in Tauri state).
pub struct Desk {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<AccountStore>,
    cache: Cache,
    http: Http,
    clipboard: &'static Clipboard,
    /// One client per account: the key is read from the keychain once, not per call.
    clients: Mutex<HashMap<String, TeamClient>>,
    live: Mutex<Option<Live>>,
    events: broadcast::Sender<DeskEvent>,
    /// The OS keychain answered once; no need to ask again.
    keychain_ok: AtomicBool,
    /// Shown instead of the keychain's own banner (the demo without a keychain says so).
    banner: Option<String>,
    demo: bool,
    #[cfg(feature = "demo")]
    demo_run: Mutex<Option<demo::DemoRun>>,
}

/// The live event watcher of one account.
struct Live {
    account: String,
    task: tokio::task::JoinHandle<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The store's lock may be held by a keychain call: not taken here.
        f.debug_struct("Desk").field("cache", &self.inner.cache).field("demo", &self.inner.demo).finish_non_exhaustive()
    }
}

impl Desk {
    /// The user's own accounts: the account list and snapshots in the platform directories,
    /// new keys where `Keychain::from_env` says (the OS keychain unless `ROSTER_KEY_FILE`).
    pub fn open() -> Result<Desk> {
        let store = AccountStore::open(Keychain::from_env())?;
        let cache = match store.cache() {
            Some(cache) => cache.clone(),
            None => Cache::open()?,
        };
        Ok(Desk::new(store, cache, Http::new(HttpConfig::default())?))
    }

    /// A session over `store`, caching snapshots in `cache`.
    pub fn new(store: AccountStore, cache: Cache, http: Http) -> Desk {
        Desk::build(store, cache, http, None, false)
    }

    fn build(store: AccountStore, cache: Cache, http: Http, banner: Option<String>, demo: bool) -> Desk {
        let store = store.with_cache(cache.clone());
        Desk {
            inner: Arc::new(Inner {
                store: Mutex::new(store),
                cache,
                http,
                clipboard: Clipboard::shared(),
                clients: Mutex::default(),
                live: Mutex::default(),
                events: broadcast::channel(256).0,
                keychain_ok: AtomicBool::new(false),
                banner,
                demo,
                #[cfg(feature = "demo")]
                demo_run: Mutex::default(),
            }),
        }
    }

    /// Live audit events of the active account and account-list changes.
    pub fn subscribe(&self) -> broadcast::Receiver<DeskEvent> {
        self.inner.events.subscribe()
    }

    pub fn is_demo(&self) -> bool {
        self.inner.demo
    }

    // -------------------------------------------------------------------------------- accounts

    pub async fn accounts_list(&self) -> Result<AccountsView> {
        // Re-read: the CLI may have changed the list since.
        let view = self
            .with_store(|inner, s| {
                s.reload()?;
                Ok(inner.view(s))
            })
            .await?;
        self.watch(view.active.as_deref(), false);
        Ok(view)
    }

    /// Checks `key` against `server` (`GET /v1/me`), saves it in the keychain and the account
    /// in the list, and makes that account the active one.
    pub async fn account_add(&self, server: &str, key: ApiKey, label: Option<&str>) -> Result<AccountsView> {
        let verified = VerifiedKey::check(&self.inner.http, server, key).await?;
        let label = label.map(str::trim).filter(|l| !l.is_empty()).map(str::to_string);
        let view = self
            .with_store(move |inner, s| {
                let added = s.add_verified(verified, label.as_deref(), None)?;
                inner.forget_client(&added.account.id);
                s.switch(&added.account.id)?;
                Ok(inner.view(s))
            })
            .await?;
        self.accounts_changed(&view, true);
        Ok(view)
    }

    /// Replaces the key of `id` (after the server refused the old one). The new key must
    /// belong to the same account.
    pub async fn account_rekey(&self, id: &str, key: ApiKey) -> Result<AccountsView> {
        let account = self.account(id).await?;
        let verified = VerifiedKey::check(&self.inner.http, &account.server, key).await?;
        let me = verified.me();
        if me.account.id != account.account_id {
            return Err(Error::Invalid {
                field: "key".into(),
                message: format!(
                    "This key belongs to the account \"{}\", not to \"{}\". Paste a key made in {}.",
                    me.account.name, account.account_name, account.account_name
                ),
            });
        }
        let id = id.to_string();
        let view = self
            .with_store(move |inner, s| {
                s.add_verified(verified, None, None)?;
                inner.forget_client(&id);
                Ok(inner.view(s))
            })
            .await?;
        self.accounts_changed(&view, true);
        Ok(view)
    }

    /// Removes the account: its key from the keychain, its snapshot, its entry.
    pub async fn account_remove(&self, id: &str) -> Result<AccountsView> {
        let id = id.to_string();
        let view = self
            .with_store(move |inner, s| {
                s.remove(&id)?;
                inner.forget_client(&id);
                Ok(inner.view(s))
            })
            .await?;
        self.accounts_changed(&view, false);
        Ok(view)
    }

    /// Makes `id` active and, with `want_cached`, returns its cached snapshot at once
    /// (`stale`; a long team's first screen, `partial`: see `CachedView`), or `None` when there
    /// is none; the UI then calls `team_refresh`. A window that
    /// still holds the account's data asks for none: reading and sending a 10,000-member
    /// snapshot it would throw away cost it ~10 ms of parsing per switch (BENCHMARKS.md §2).
    pub async fn account_switch(&self, id: &str, want_cached: bool) -> Result<Option<CachedView>> {
        let id = id.to_string();
        let (view, cached) = self
            .with_store(move |inner, s| {
                s.switch(&id)?;
                let cached = if want_cached { CachedView::load(&inner.cache, &id) } else { None };
                Ok((inner.view(s), cached))
            })
            .await?;
        self.accounts_changed(&view, false);
        Ok(cached)
    }

    /// `id`'s cached view as `account_switch` would send it, without switching (`None`: nothing
    /// cached). The window reads the other accounts' first screens while it is idle after a
    /// start, so the first switch to each shows at once (BENCHMARKS.md §2).
    pub async fn team_cached(&self, id: &str) -> Result<Option<CachedView>> {
        self.account(id).await?;
        let (id, cache) = (id.to_string(), self.inner.cache.clone());
        tokio::task::spawn_blocking(move || CachedView::load(&cache, &id)).await.map_err(join_error)
    }

    /// Puts `ids` first, in that order.
    pub async fn account_reorder(&self, ids: Vec<String>) -> Result<AccountsView> {
        let view = self
            .with_store(move |inner, s| {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                s.reorder(&ids)?;
                Ok(inner.view(s))
            })
            .await?;
        self.accounts_changed(&view, false);
        Ok(view)
    }

    /// Renames and/or recolours (`#rrggbb`) the account.
    pub async fn account_update(&self, id: &str, label: Option<String>, colour: Option<String>) -> Result<AccountsView> {
        let id = id.to_string();
        let view = self
            .with_store(move |inner, s| {
                if let Some(label) = label {
                    s.rename(&id, &label)?;
                }
                if let Some(colour) = colour {
                    s.recolour(&id, &colour)?;
                }
                Ok(inner.view(s))
            })
            .await?;
        self.accounts_changed(&view, false);
        Ok(view)
    }

    /// Where each account's key lives and whether it can be read (masked keys only).
    pub async fn keychain_doctor(&self) -> Result<Vec<KeyReport>> {
        self.with_store(|_, s| {
            s.reload()?;
            Ok(s.doctor())
        })
        .await
    }

    // ------------------------------------------------------------------------------ team data

    /// Fetches the account's team and caches it. When that fails and a snapshot is cached, the
    /// snapshot comes back marked `stale` with the `error`; with no snapshot, the error.
    pub async fn team_refresh(&self, id: &str) -> Result<TeamView> {
        let fetched = match self.client(id).await {
            Ok(client) => fetch_snapshot(&client).await,
            Err(e) => Err(e),
        };
        let view = match fetched {
            Ok(snapshot) => {
                let (account, cache) = (id.to_string(), self.inner.cache.clone());
                let saved = tokio::task::spawn_blocking(move || {
                    // The cache is only a speed-up: failing to write it costs nothing now.
                    if let Err(e) = cache.save(&account, &snapshot) {
                        tracing::warn!(account = %account, error = %e, "could not cache the snapshot");
                    }
                    snapshot
                })
                .await
                .map_err(join_error)?;
                TeamView::from_snapshot(id, saved, chrono::Utc::now(), false, None)
            }
            Err(e) => {
                self.inner.on_error(id, &e);
                let (account, cache) = (id.to_string(), self.inner.cache.clone());
                let cached = tokio::task::spawn_blocking(move || cache.load(&account)).await.map_err(join_error)?;
                match cached {
                    Some(c) => TeamView::from_cached(id, c, Some(AppError::from(&e))),
                    None => return Err(e),
                }
            }
        };
        Ok(view)
    }

    /// The first screen of a team nothing is cached for, in one round trip: `me` and the
    /// first page of members by name (two requests in parallel), `partial`. The window shows
    /// it while `team_refresh` pages through the rest: with 10,000 members that is 50 pages
    /// in a row before anything could be drawn (BENCHMARKS.md §2).
    pub async fn team_first_page(&self, id: &str) -> Result<TeamView> {
        self.call(id, |c| async move {
            let by_name = MemberQuery { sort: MemberSort::Name, ..Default::default() };
            let (me, page) = tokio::join!(c.me(), c.members(&by_name, Some(FIRST_PAGE), None));
            let (me, members) = (me?, page?.data);
            Ok(TeamView { account: id.to_string(), me, members, invites: Vec::new(), audit: Vec::new(), fetched_at: chrono::Utc::now(), stale: false, error: None, partial: true })
        })
        .await
    }

    // -------------------------------------------------------------------------------- members

    /// Changes a member's role and/or quota. `quota` is applied only with `set_quota` (`None`
    /// then lifts the quota).
    pub async fn member_update(&self, id: &str, user_id: &str, role: Option<String>, quota: Option<u64>, set_quota: bool) -> Result<MemberUpdate> {
        let patch = MemberPatch { role, quota: set_quota.then_some(quota) };
        self.call(id, |c| async move { c.update_member(user_id, &patch).await }).await
    }

    pub async fn member_remove(&self, id: &str, user_id: &str) -> Result<()> {
        self.call(id, |c| async move { c.remove_member(user_id).await }).await
    }

    /// Leaves the team; the account (and its key, which stops working) is then removed here.
    pub async fn team_leave(&self, id: &str) -> Result<AccountsView> {
        self.call(id, |c| async move { c.leave().await }).await?;
        self.account_remove(id).await
    }

    pub async fn promotion_cancel(&self, id: &str, promotion_id: &str) -> Result<OwnerPromotion> {
        self.call(id, |c| async move { c.cancel_owner_promotion(promotion_id).await }).await
    }

    /// Every owner promotion of the account (pending ones can be cancelled).
    pub async fn promotions_list(&self, id: &str) -> Result<Vec<OwnerPromotion>> {
        self.call(id, |c| async move { c.owner_promotions(None).await }).await
    }

    // -------------------------------------------------------------------------------- invites

    /// Creates the invite and copies its link to the clipboard as sensitive. A failed copy is
    /// in the result, not an error: the invite exists and its link is in `invite.link`.
    ///
    /// `idempotency_key` stands for the user's action, so the caller makes it: once per invite
    /// the user asks for, the same again when they retry it after a failure. The server then
    /// replays the invite a lost answer already made instead of refusing it as
    /// `invite_exists`. A key that does not look generated is refused as `invalid`.
    pub async fn invite_create(&self, id: &str, invite: NewInvite, idempotency_key: &str) -> Result<InviteCreated> {
        let key = IdempotencyKey::parse(idempotency_key)?;
        let copy = self.copy_to();
        let link = self.call(id, |c| async move { flows::create_invite(&c, &invite, &key, &copy).await }).await?;
        Ok(link.into())
    }

    /// Invites a pasted list or CSV (`role` for rows that name none; the policy's default
    /// when empty), every row with `options` (delivery, identity provider, secure sign-in,
    /// expiry: what a single invite carries but its per-person notification e-mail), and
    /// copies the created links, one per line.
    pub async fn invite_bulk(&self, id: &str, text: &str, role: &str, options: BulkOptions) -> Result<BulkReport> {
        let client = self.client(id).await?;
        let me = self.me(id, &client).await?;
        let role = Some(role.trim()).filter(|r| !r.is_empty());
        let plan = flows::plan_bulk(text, &me.policy, role);
        let report = flows::bulk_invite(&client, &plan, &options, &self.copy_to()).await;
        if report.stopped.as_ref().is_some_and(|stop| stop.code == ErrorCode::BadKey) {
            self.inner.forget_client(id);
        }
        Ok(report)
    }

    /// Copies the link of a pending invite again (fetched fresh: a revoked or accepted one is
    /// refused with a `conflict` that says what happened).
    pub async fn invite_recopy(&self, id: &str, invite_id: &str) -> Result<InviteCreated> {
        let copy = self.copy_to();
        let link = self.call(id, |c| async move { flows::recopy_link(&c, invite_id, &copy).await }).await?;
        Ok(link.into())
    }

    /// Copies "You're invited to join Acme as Member on Roster: <link> (…)".
    pub async fn invite_copy_message(&self, id: &str, invite_id: &str) -> Result<CopiedMessage> {
        let client = self.client(id).await?;
        let me = self.me(id, &client).await?;
        let copied = flows::copy_invite_message(&client, invite_id, &me, &self.copy_to()).await;
        let message = copied.inspect_err(|e| self.inner.on_error(id, e))?;
        Ok(CopiedMessage { text: message.text, copied: message.copy == CopyOutcome::Copied })
    }

    pub async fn invite_resend(&self, id: &str, invite_id: &str) -> Result<Invite> {
        self.call(id, |c| async move { c.resend_invite(invite_id).await }).await
    }

    pub async fn invite_revoke(&self, id: &str, invite_id: &str) -> Result<Invite> {
        self.call(id, |c| async move { c.revoke_invite(invite_id).await }).await
    }

    // ------------------------------------------------------------------------------- activity

    /// One page of the audit log, newest first, filtered by action, actor (user id or e-mail)
    /// and free text.
    pub async fn audit_page(
        &self,
        id: &str,
        action: Option<AuditAction>,
        actor: Option<String>,
        q: Option<String>,
        cursor: Option<String>,
    ) -> Result<Page<AuditEvent>> {
        let query = AuditQuery { action, actor: actor.filter(|a| !a.is_empty()), q: q.filter(|q| !q.is_empty()) };
        self.call(id, |c| async move { c.audit(&query, Some(AUDIT_PAGE), cursor.as_deref()).await }).await
    }

    // ----------------------------------------------------------------------------------- misc

    /// The address of page `path` (e.g. `/join/…`, `/openapi.yaml`) on the account's own
    /// server, for the shell to open in the browser. Only that server's origin, and so only
    /// https or loopback http, ever comes out.
    pub async fn server_page(&self, id: &str, path: &str) -> Result<String> {
        let account = self.account(id).await?;
        let refuse = |why: &str| Error::Invalid { field: "path".into(), message: format!("Cannot open \"{path}\": {why}.") };
        if !path.starts_with('/') || path.starts_with("//") || path.contains('\\') || path.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(refuse("only a page of the account's server can be opened, given as a path like /join/…"));
        }
        let base = server_url(&account.server)?;
        let url = base.join(path).map_err(|_| refuse("it is not a valid path"))?;
        if url.origin() != base.origin() {
            return Err(refuse("it is not on the account's server"));
        }
        Ok(url.to_string())
    }

    /// Ends the session: stops the live stream; for the demo, deletes its keys from the
    /// keychain, stops its server and deletes its files. Lets a clipboard manager take the
    /// last copied link.
    pub async fn shutdown(&self) {
        self.watch(None, true);
        #[cfg(feature = "demo")]
        self.end_demo().await;
        let clipboard = self.inner.clipboard;
        let _ = tokio::task::spawn_blocking(move || clipboard.release()).await;
    }

    // ------------------------------------------------------------------------------ internals

    /// Runs `f` on the account store on the blocking pool (keychain calls block).
    async fn with_store<T: Send + 'static>(&self, f: impl FnOnce(&Inner, &mut AccountStore) -> Result<T> + Send + 'static) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = lock(&inner.store);
            f(&inner, &mut store)
        })
        .await
        .map_err(join_error)?
    }

    async fn account(&self, id: &str) -> Result<SavedAccount> {
        let id = id.to_string();
        self.with_store(move |_, s| s.get(&id).cloned()).await
    }

    /// The account's client, its key read from the keychain the first time.
    async fn client(&self, id: &str) -> Result<TeamClient> {
        if let Some(c) = lock(&self.inner.clients).get(id) {
            return Ok(c.clone());
        }
        let account = id.to_string();
        let client = self.with_store(move |inner, s| s.client(&account, &inner.http)).await?;
        lock(&self.inner.clients).insert(id.to_string(), client.clone());
        Ok(client)
    }

    /// One server call for account `id`; a refused key drops the cached client, so the next
    /// call reads the keychain again (the CLI may have replaced the key).
    async fn call<T, F, Fut>(&self, id: &str, f: F) -> Result<T>
    where
        F: FnOnce(TeamClient) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let client = self.client(id).await?;
        f(client).await.inspect_err(|e| self.inner.on_error(id, e))
    }

    /// `me` from the cached snapshot (policy and account name change rarely), else fetched.
    async fn me(&self, id: &str, client: &TeamClient) -> Result<Me> {
        let (account, cache) = (id.to_string(), self.inner.cache.clone());
        if let Some(c) = tokio::task::spawn_blocking(move || cache.load(&account)).await.map_err(join_error)? {
            return Ok(c.snapshot.me);
        }
        client.me().await.inspect_err(|e| self.inner.on_error(id, e))
    }

    fn copy_to(&self) -> CopyTo<'static> {
        CopyTo::clipboard(self.inner.clipboard, CopyOptions::sensitive())
    }

    /// After a change to the list: follow the active account live (afresh when `restart`,
    /// e.g. its key changed) and tell the shell.
    fn accounts_changed(&self, view: &AccountsView, restart: bool) {
        self.watch(view.active.as_deref(), restart);
        let _ = self.inner.events.send(DeskEvent::AccountsChanged);
    }

    /// Makes the live watcher follow `account` (none: stop). Idempotent unless `restart`.
    fn watch(&self, account: Option<&str>, restart: bool) {
        let mut live = lock(&self.inner.live);
        if let (Some(l), Some(id)) = (live.as_ref(), account)
            && l.account == id
            && !restart
        {
            return;
        }
        if let Some(old) = live.take() {
            old.task.abort();
        }
        let (Some(id), Ok(runtime)) = (account, tokio::runtime::Handle::try_current()) else {
            return;
        };
        let task = runtime.spawn(live_loop(Arc::downgrade(&self.inner), id.to_string()));
        *live = Some(Live { account: id.to_string(), task });
    }
}

impl Inner {
    fn view(&self, store: &AccountStore) -> AccountsView {
        AccountsView {
            accounts: store.accounts().to_vec(),
            active: store.active().map(|a| a.id.clone()),
            keychain: self.keychain_status(store.keychain(), store.accounts()),
            demo: self.demo,
        }
    }

    /// Runs on the blocking pool (it may ask the keychain whether it is reachable).
    fn keychain_status(&self, keychain: &Keychain, accounts: &[SavedAccount]) -> KeychainStatus {
        let store = keychain.store();
        let kind = match store {
            KeyStore::Os { .. } => KeychainKind::Os,
            KeyStore::File { .. } => KeychainKind::File,
            KeyStore::Memory => KeychainKind::Memory,
        };
        // Keys saved while ROSTER_KEY_FILE was set stay in that file after it is unset (or
        // points elsewhere): their accounts are reported until the keys are re-entered.
        let left_in_files: Vec<&SavedAccount> = accounts.iter().filter(|a| a.key_store.is_plain_text() && a.key_store != *store).collect();
        let plain_text = store.is_plain_text() || !left_in_files.is_empty();
        let new_keys = match store {
            KeyStore::File { path } => Some(format!(
                "API keys are saved in plain text in {} because ROSTER_KEY_FILE is set. Unset it and re-enter the keys to keep them in the system keychain.",
                path.display()
            )),
            KeyStore::Memory => Some("API keys are kept in memory only and are forgotten when Roster quits.".to_string()),
            KeyStore::Os { .. } if self.keychain_ok.load(Ordering::Relaxed) => None,
            KeyStore::Os { .. } => match keychain.check(store) {
                Ok(()) => {
                    self.keychain_ok.store(true, Ordering::Relaxed);
                    None
                }
                Err(e) => Some(e.to_string()),
            },
        };
        let banner = match &self.banner {
            Some(own) => Some(own.clone()),
            None => {
                let notices: Vec<String> = new_keys.into_iter().chain(left_in_files_notice(&left_in_files, store)).collect();
                (!notices.is_empty()).then(|| notices.join(" "))
            }
        };
        KeychainStatus { kind, plain_text, banner }
    }

    fn forget_client(&self, id: &str) {
        lock(&self.clients).remove(id);
    }

    fn on_error(&self, id: &str, e: &Error) {
        if e.code() == ErrorCode::BadKey {
            self.forget_client(id);
        }
    }
}

/// Which accounts still have their key in a plain-text file, where, and (unless new keys go to
/// a file anyway, which the banner already says how to stop) how to move them off the disk.
fn left_in_files_notice(accounts: &[&SavedAccount], new_keys: &KeyStore) -> Option<String> {
    let mut paths: Vec<String> = Vec::new();
    for a in accounts {
        if let KeyStore::File { path } = &a.key_store {
            let path = path.display().to_string();
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    let quoted: Vec<String> = accounts.iter().map(|a| format!("\"{}\"", a.label)).collect();
    let (whose, it, went) = match quoted.as_slice() {
        [] => return None,
        [one] => (format!("The API key of {one} is"), "it", "it went"),
        [rest @ .., last] if quoted.len() <= 3 => (format!("The API keys of {} and {last} are", rest.join(", ")), "them", "they went"),
        many => (format!("The API keys of {} accounts are", many.len()), "them", "they went"),
    };
    let mut notice = format!("{whose} still saved in plain text in {}, where {went} while ROSTER_KEY_FILE was set.", paths.join(" and "));
    match new_keys {
        KeyStore::File { .. } => {}
        KeyStore::Os { .. } => notice.push_str(&format!(" Re-enter {it} in the account settings (Re-enter key) to move {it} to the system keychain.")),
        KeyStore::Memory => notice.push_str(&format!(" Re-enter {it} in the account settings (Re-enter key) to take {it} off the disk.")),
    }
    Some(notice)
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::Storage { action: "use", path: "the account list".into(), reason: format!("an internal task failed ({e}); retry") }
}

/// Everything a team view shows, in parallel. Roles that may not read the audit log get an
/// empty one rather than a failed refresh.
async fn fetch_snapshot(client: &TeamClient) -> Result<Snapshot> {
    let (members_q, invites_q, audit_q) = (MemberQuery::default(), InviteQuery::default(), AuditQuery::default());
    let (me, members, invites, audit) =
        tokio::join!(client.me(), client.all_members(&members_q), client.all_invites(&invites_q), client.audit(&audit_q, Some(AUDIT_IN_VIEW), None));
    let me = me?;
    let mut members = members?;
    in_name_order(&mut members);
    let audit = match audit {
        Ok(page) => page.data,
        Err(e) if e.code() == ErrorCode::NoPermission => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(Snapshot { roles: me.policy.roles.clone(), me, members, invites: invites?, audit })
}

// ------------------------------------------------------------------------------------------
// Live events

/// What ended one connection of the live stream.
enum StreamEnd {
    /// Worth reconnecting; `delivered` says whether events came through (resets the backoff).
    Retry { delivered: bool, error: Error },
    /// Reconnecting cannot help (key refused, role may not stream, account gone).
    Stop(String),
}

/// Follows the live audit stream of `account` until aborted, reconnecting with backoff and
/// `Last-Event-ID` so no event is lost across a drop.
async fn live_loop(inner: Weak<Inner>, account: String) {
    let mut last_id = match inner.upgrade() {
        Some(i) => resume_point(&i.cache, &account).await,
        None => return,
    };
    let mut me: Option<Me> = None;
    let mut backoff = Duration::from_secs(1);
    loop {
        let Some(strong) = inner.upgrade() else { return };
        let desk = Desk { inner: strong };
        let end = stream_once(&desk, &account, &mut last_id, &mut me).await;
        drop(desk);
        match end {
            StreamEnd::Stop(why) => {
                tracing::info!(account = %account, why, "live events stopped");
                return;
            }
            StreamEnd::Retry { delivered, error } => {
                if delivered {
                    backoff = Duration::from_secs(1);
                }
                tracing::debug!(account = %account, error = %error, wait = backoff.as_secs(), "live events: reconnecting");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(LIVE_MAX_BACKOFF);
            }
        }
    }
}

/// The newest audit event of a recent snapshot: the stream replays what came after it.
async fn resume_point(cache: &Cache, account: &str) -> Option<String> {
    let (cache, account) = (cache.clone(), account.to_string());
    let (saved_at, audit) = tokio::task::spawn_blocking(move || cache.load_audit(&account)).await.ok().flatten()?;
    if chrono::Utc::now() - saved_at > LIVE_RESUME_WINDOW {
        return None;
    }
    audit.iter().max_by_key(|e| (e.created_at, event_seq(&e.id))).map(|e| e.id.clone())
}

/// `evt_42` → 42, so ids compare in the server's order.
fn event_seq(id: &str) -> u64 {
    id.rsplit('_').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

async fn stream_once(desk: &Desk, account: &str, last_id: &mut Option<String>, me: &mut Option<Me>) -> StreamEnd {
    let classify = |error: Error, delivered: bool| match error.code() {
        ErrorCode::BadKey | ErrorCode::NoPermission | ErrorCode::UnknownAccount | ErrorCode::KeyMissing | ErrorCode::InsecureUrl => {
            desk.inner.on_error(account, &error);
            StreamEnd::Stop(error.to_string())
        }
        _ => StreamEnd::Retry { delivered, error },
    };
    let client = match desk.client(account).await {
        Ok(c) => c,
        Err(e) => return classify(e, false),
    };
    let who = match me.take() {
        Some(m) => m,
        None => match client.me().await {
            Ok(m) => m,
            Err(e) => return classify(e, false),
        },
    };
    // The server streams only to roles that manage the team.
    if !who.policy.role(&who.role).is_some_and(|r| r.manages_team) {
        return StreamEnd::Stop(format!("the role {} does not receive live events", who.role));
    }
    let stream = match client.events(last_id.as_deref()).await {
        Ok(s) => s,
        Err(e) => {
            *me = Some(who);
            return classify(e, false);
        }
    };
    let mut stream = Box::pin(stream);
    let _ = desk.inner.events.send(DeskEvent::LiveConnected { account: account.to_string() });
    let mut delivered = false;
    let end = loop {
        match stream.next().await {
            Some(Ok(event)) => {
                *last_id = Some(event.id.clone());
                delivered = true;
                let notification = joined_message(&event, &who);
                let _ = desk.inner.events.send(DeskEvent::Audit(Box::new(AuditNotice { account: account.to_string(), event, notification })));
            }
            Some(Err(e)) => break classify(e, delivered),
            None => {
                break StreamEnd::Retry { delivered, error: Error::Unreachable { url: client.server().to_string(), reason: "the event stream ended".into() } };
            }
        }
    };
    *me = Some(who);
    end
}

/// "Ana Lima joined Acme as Member", for an accepted invite.
pub fn joined_message(event: &AuditEvent, me: &Me) -> Option<String> {
    if event.action != AuditAction::InviteAccepted {
        return None;
    }
    let detail = |k: &str| event.details.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
    let who = detail("name").map(str::to_string).or_else(|| event.actor.as_ref().map(|a| a.name.clone())).unwrap_or_else(|| event.target.email.clone());
    let role = detail("role").map(|r| me.policy.role(r).map_or(r.to_string(), |role| role.name.clone()));
    Some(match role {
        Some(role) => format!("{who} joined {} as {role}", me.account.name),
        None => format!("{who} joined {}", me.account.name),
    })
}

// ------------------------------------------------------------------------------------------
// The embedded demo

/// Keychain service of the demo's keys, apart from the user's own (`roster`).
pub const DEMO_SERVICE: &str = "roster-demo";

#[cfg(feature = "demo")]
mod demo {
    use super::*;

    /// What the demo owns and removes at the end.
    pub(super) struct DemoRun {
        pub(super) server: roster_server::RunningServer,
        pub(super) dir: tempfile::TempDir,
    }

    /// Writes and deletes a probe key: a read alone passes on a locked keychain, where the
    /// first real write would then wait on an unlock prompt and fail the whole demo.
    fn can_store_keys(keychain: &Keychain) -> Result<()> {
        let entry = crate::keychain::KeyEntry::new("http://127.0.0.1", "roster-demo-probe").named("demo keychain probe");
        keychain.set(keychain.store(), &entry, &ApiKey::from("probe".to_string()))?;
        keychain.delete(keychain.store(), &entry).map(|_| ())
    }

    fn demo_error(what: &'static str, e: impl std::fmt::Display) -> Error {
        Error::Storage { action: what, path: "the demo".into(), reason: format!("{e}") }
    }

    impl Desk {
        /// The embedded demo: the reference server in-process on 127.0.0.1 with a throw-away
        /// database seeded with one team per preset; one account per team (owner-level key)
        /// plus "Northwind Labs (member)" with a key that cannot manage the team. Keys go to the
        /// OS keychain under service `roster-demo` (memory only, with a banner, when there is
        /// no keychain); the account list and cache live in a temp dir. `shutdown` undoes it all.
        pub async fn demo() -> Result<Desk> {
            Desk::demo_with(Keychain::os().with_service(DEMO_SERVICE)).await
        }

        /// `demo` with keys going to `keychain` when it can be reached.
        pub async fn demo_with(keychain: Keychain) -> Result<Desk> {
            let dir = tempfile::Builder::new().prefix("roster-demo-").tempdir().map_err(|e| demo_error("create a folder for", e))?;
            let db_path = dir.path().join("roster.db");
            let seed_path = db_path.clone();
            // Seeding hashes passwords: off the async workers.
            let (db, seeded) = tokio::task::spawn_blocking(move || {
                let db = roster_server::Db::open(&seed_path).map_err(|e| demo_error("open the database of", e))?;
                let seeded = roster_server::seed::demo(&db, chrono::Utc::now()).map_err(|e| demo_error("seed", e))?;
                Ok::<_, Error>((db, seeded))
            })
            .await
            .map_err(join_error)??;
            let mut config = roster_server::Config::new(&db_path);
            // One person clicking (or an E2E run joining again and again from 127.0.0.1)
            // must never meet the join page's rate limits.
            config.limits = roster_server::Limits::relaxed();
            let server = roster_server::start_with_db(config, db).await.map_err(|e| demo_error("start the server of", e))?;

            let probe = keychain.clone();
            let writable = tokio::task::spawn_blocking(move || can_store_keys(&probe)).await.map_err(join_error)?;
            let (keychain, banner) = match writable {
                Ok(()) => (keychain, None),
                Err(e) => {
                    tracing::warn!(error = %e, "demo: the keychain cannot take keys, they stay in memory");
                    let why = if e.code() == ErrorCode::KeychainLocked { "The keychain is locked" } else { "No keychain available" };
                    (Keychain::memory(), Some(format!("{why}: demo keys are kept in memory only and vanish when Roster quits.")))
                }
            };
            let store = AccountStore::open_in(dir.path().join("config"), keychain)?;
            let desk = Desk::build(store, Cache::at(dir.path().join("cache")), Http::new(HttpConfig::default())?, banner, true);

            let url = server.url.clone();
            let mut adds: Vec<(String, String, Option<String>)> = seeded.iter().map(|a| (url.clone(), a.keys[0].key.clone(), None)).collect();
            // The same team through a key that cannot manage it, so read-only views show.
            // The store keeps one entry per (server, account): "localhost" is the same
            // loopback server under another address.
            if let Some(northwind) = seeded.iter().find(|a| a.preset == "owner-member-link")
                && let Some(member) = northwind.keys.iter().find(|k| k.role == "member")
            {
                let alias = url.replace("127.0.0.1", "localhost");
                adds.push((alias, member.key.clone(), Some(format!("{} (member)", northwind.name))));
            }
            *lock(&desk.inner.demo_run) = Some(DemoRun { server, dir });
            match desk.add_demo_accounts(adds).await {
                Ok(()) => Ok(desk),
                Err(e) => {
                    // Take back whatever keys went in before the failure.
                    desk.end_demo().await;
                    Err(e)
                }
            }
        }

        async fn add_demo_accounts(&self, adds: Vec<(String, String, Option<String>)>) -> Result<()> {
            let mut first = None;
            for (server, key, label) in adds {
                let verified = VerifiedKey::check(&self.inner.http, &server, ApiKey::from(key)).await?;
                let id = self.with_store(move |_, s| Ok(s.add_verified(verified, label.as_deref(), None)?.account.id)).await?;
                first.get_or_insert(id);
            }
            if let Some(id) = first {
                self.with_store(move |_, s| s.switch(&id).map(|_| ())).await?;
            }
            Ok(())
        }

        /// The demo server's address (`http://127.0.0.1:<port>`).
        pub fn demo_server_url(&self) -> Option<String> {
            lock(&self.inner.demo_run).as_ref().map(|d| d.server.url.clone())
        }

        pub(super) async fn end_demo(&self) {
            let Some(run) = lock(&self.inner.demo_run).take() else { return };
            let removed = self
                .with_store(|inner, s| {
                    let ids: Vec<String> = s.accounts().iter().map(|a| a.id.clone()).collect();
                    for id in ids {
                        inner.forget_client(&id);
                        if let Err(e) = s.remove(&id) {
                            tracing::warn!(account = %id, error = %e, "demo: could not remove an account's key");
                        }
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = removed {
                tracing::warn!(error = %e, "demo: could not remove the demo keys");
            }
            if tokio::time::timeout(Duration::from_secs(5), run.server.shutdown()).await.is_err() {
                tracing::warn!("demo: the server did not stop within 5 s");
            }
            drop(run.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_compare_by_their_number() {
        assert!(event_seq("evt_10") > event_seq("evt_9"));
        assert_eq!(event_seq("odd"), 0);
    }

    fn saved(label: &str, key_store: KeyStore) -> SavedAccount {
        SavedAccount::example(label, key_store)
    }

    #[test]
    fn given_accounts_with_keys_left_in_a_file_then_the_notice_names_them_the_file_and_what_to_do() {
        let file = |p: &str| KeyStore::File { path: p.into() };
        let (a, b, c, d) = (saved("Acme", file("/k/keys.json")), saved("Bluefin", file("/k/old.json")), saved("Kestrel", file("/k/keys.json")), saved("Zed", file("/k/keys.json")));
        assert_eq!(left_in_files_notice(&[], &KeyStore::os()), None);
        assert_eq!(
            left_in_files_notice(&[&a], &KeyStore::os()).unwrap(),
            "The API key of \"Acme\" is still saved in plain text in /k/keys.json, where it went while ROSTER_KEY_FILE was set. \
             Re-enter it in the account settings (Re-enter key) to move it to the system keychain."
        );
        assert_eq!(
            left_in_files_notice(&[&a, &b, &c], &KeyStore::os()).unwrap(),
            "The API keys of \"Acme\", \"Bluefin\" and \"Kestrel\" are still saved in plain text in /k/keys.json and /k/old.json, where they went \
             while ROSTER_KEY_FILE was set. Re-enter them in the account settings (Re-enter key) to move them to the system keychain."
        );
        let four = left_in_files_notice(&[&a, &b, &c, &d], &file("/k/new.json")).unwrap();
        assert!(four.starts_with("The API keys of 4 accounts are still saved in plain text"), "{four}");
        assert!(four.ends_with("while ROSTER_KEY_FILE was set."), "the file banner already says what to do: {four}");
    }

    #[test]
    fn app_errors_carry_the_code_and_the_message() {
        let e = Error::UnknownAccount("x".into());
        let a = AppError::from(&e);
        assert_eq!(a.code, ErrorCode::UnknownAccount);
        assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::json!({"code": "unknown_account", "message": e.to_string()}));
    }
}
