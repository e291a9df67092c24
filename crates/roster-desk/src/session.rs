//! `Desk`: one desktop-app session over roster-core. The Tauri shell's commands are one call
//! each into it (`ui → command → Desk → TeamClient → server`), so everything the window does
//! is here and tested here: the account list (`AccountStore`), cached snapshots for instant
//! switching with a refresh that falls back to stale data, and the invite flows with their
//! links copied to the clipboard as sensitive. The live stream is in `live`, the keychain
//! banner in `status`, the embedded demo in `demo`.
//!
//! Keys: an API key enters once, in `account_add` / `account_rekey`, goes to the keychain,
//! and lives on only inside the `TeamClient`s kept here. Nothing this module returns or
//! broadcasts carries one.
//!
//! Keychain calls block (up to the keychain timeout), so every touch of the account store
//! runs on tokio's blocking pool; async methods never stall the runtime's workers.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use roster_core::api::{
    AuditEvent, Invite, Me, MemberPatch, MemberSort, MemberUpdate, NewInvite, OwnerPromotion, Page,
};
use roster_core::bulk::{self, BulkOptions, BulkReport};
use roster_core::client::{AuditQuery, InviteQuery, MemberQuery, server_url};
use roster_core::flows::{self, CopyOutcome, CopyTo};
use roster_core::{
    AccountStore, ApiKey, Cache, Clipboard, CopyOptions, Error, ErrorCode, Http, HttpConfig,
    IdempotencyKey, KeyReport, Keychain, Result, SavedAccount, Snapshot, TeamClient, VerifiedKey,
};
use tokio::sync::broadcast;

use crate::error::AppError;
use crate::live::live_loop;
use crate::requests::AuditFilter;
use crate::views::{
    AccountsView, CachedView, CopiedMessage, DeskEvent, InviteCreated, TeamView, in_name_order,
};

/// Audit events in a team view: the newest this many.
pub(crate) const AUDIT_IN_VIEW: u32 = 200;
/// Audit events per page of `audit_page`.
pub(crate) const AUDIT_PAGE: u32 = 100;
/// Members on a team's first screen before the rest has loaded: a page as large as the API
/// gives, more than a window shows.
pub const FIRST_PAGE: u32 = 200;
/// Longest wait between two attempts to reconnect the live event stream.
pub(crate) const LIVE_MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A cached snapshot younger than this seeds the live stream's `Last-Event-ID`, so events
/// between the last refresh and the stream's start are replayed, not lost. Older ones would
/// replay (and notify) too much history.
pub(crate) const LIVE_RESUME_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

/// How the shell opens an address in the system browser.
type Opener = Box<dyn Fn(&str) -> std::result::Result<(), String> + Send + Sync>;

/// The desktop session (cheap to share: the shell keeps one in Tauri state).
pub struct Desk {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Mutex<AccountStore>,
    pub(crate) cache: Cache,
    pub(crate) http: Http,
    pub(crate) clipboard: &'static Clipboard,
    /// One client per account: the key is read from the keychain once, not per call.
    pub(crate) clients: Mutex<HashMap<String, TeamClient>>,
    pub(crate) live: Mutex<Option<Live>>,
    pub(crate) events: broadcast::Sender<DeskEvent>,
    /// The OS keychain answered once; no need to ask again.
    pub(crate) keychain_ok: AtomicBool,
    /// Hands a page's address to the system browser (`set_opener`).
    pub(crate) opener: OnceLock<Opener>,
    /// Shown instead of the keychain's own banner (the demo without a keychain says so).
    pub(crate) banner: Option<String>,
    pub(crate) demo: bool,
    #[cfg(feature = "demo")]
    pub(crate) demo_run: Mutex<Option<crate::demo::DemoRun>>,
}

/// The live event watcher of one account.
pub(crate) struct Live {
    pub(crate) account: String,
    pub(crate) task: tokio::task::JoinHandle<()>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The store's lock may be held by a keychain call: not taken here.
        f.debug_struct("Desk")
            .field("cache", &self.inner.cache)
            .field("demo", &self.inner.demo)
            .finish_non_exhaustive()
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

    pub(crate) fn build(
        store: AccountStore,
        cache: Cache,
        http: Http,
        banner: Option<String>,
        demo: bool,
    ) -> Desk {
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
                opener: OnceLock::new(),
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
    pub async fn account_add(
        &self,
        server: &str,
        key: ApiKey,
        label: Option<&str>,
    ) -> Result<AccountsView> {
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
    /// snapshot it would throw away costs it parsing on every switch (BENCHMARKS.md §2).
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
    pub async fn account_update(
        &self,
        id: &str,
        label: Option<String>,
        colour: Option<String>,
    ) -> Result<AccountsView> {
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
                let cached = tokio::task::spawn_blocking(move || cache.load(&account))
                    .await
                    .map_err(join_error)?;
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
            Ok(TeamView {
                account: id.to_string(),
                me,
                members,
                invites: Vec::new(),
                audit: Vec::new(),
                fetched_at: chrono::Utc::now(),
                stale: false,
                error: None,
                partial: true,
            })
        })
        .await
    }

    // -------------------------------------------------------------------------------- members

    /// Changes a member's role and/or quota (`patch`: absent fields are left alone).
    pub async fn member_update(
        &self,
        id: &str,
        user_id: &str,
        patch: MemberPatch,
    ) -> Result<MemberUpdate> {
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
    pub async fn invite_create(
        &self,
        id: &str,
        invite: NewInvite,
        idempotency_key: &str,
    ) -> Result<InviteCreated> {
        let key = IdempotencyKey::parse(idempotency_key)?;
        let copy = self.copy_to();
        let link = self
            .call(id, |c| async move { flows::create_invite(&c, &invite, &key, &copy).await })
            .await?;
        Ok(link.into())
    }

    /// Invites a pasted list or CSV (`role` for rows that name none; the policy's default
    /// when empty), every row with `options` (delivery, identity provider, secure sign-in,
    /// expiry: what a single invite carries but its per-person notification e-mail), and
    /// copies the created links, one per line.
    pub async fn invite_bulk(
        &self,
        id: &str,
        text: &str,
        role: &str,
        options: BulkOptions,
    ) -> Result<BulkReport> {
        let client = self.client(id).await?;
        let me = self.me(id, &client).await?;
        let role = Some(role.trim()).filter(|r| !r.is_empty());
        let plan = bulk::plan_bulk(text, &me.policy, role);
        let report = bulk::bulk_invite(&client, &plan, &options, &self.copy_to()).await;
        if report.stopped.as_ref().is_some_and(|stop| stop.code == ErrorCode::BadKey) {
            self.inner.forget_client(id);
        }
        Ok(report)
    }

    /// Copies the link of a pending invite again (fetched fresh: a revoked or accepted one is
    /// refused with a `conflict` that says what happened).
    pub async fn invite_recopy(&self, id: &str, invite_id: &str) -> Result<InviteCreated> {
        let copy = self.copy_to();
        let link = self
            .call(id, |c| async move { flows::recopy_link(&c, invite_id, &copy).await })
            .await?;
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
        filter: AuditFilter,
        cursor: Option<String>,
    ) -> Result<Page<AuditEvent>> {
        let AuditFilter { action, actor, q } = filter;
        let query = AuditQuery {
            action,
            actor: actor.filter(|a| !a.is_empty()),
            q: q.filter(|q| !q.is_empty()),
        };
        self.call(id, |c| async move { c.audit(&query, Some(AUDIT_PAGE), cursor.as_deref()).await })
            .await
    }

    // ----------------------------------------------------------------------------------- misc

    /// The address of page `path` (e.g. `/join/…`, `/openapi.yaml`) on the account's own
    /// server, for the shell to open in the browser. Only that server's origin, and so only
    /// https or loopback http, ever comes out.
    pub async fn server_page(&self, id: &str, path: &str) -> Result<String> {
        let account = self.account(id).await?;
        let refuse = |why: &str| Error::Invalid {
            field: "path".into(),
            message: format!("Cannot open \"{path}\": {why}."),
        };
        if !path.starts_with('/')
            || path.starts_with("//")
            || path.contains('\\')
            || path.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(refuse(
                "only a page of the account's server can be opened, given as a path like /join/…",
            ));
        }
        let base = server_url(&account.server)?;
        let url = base.join(path).map_err(|_| refuse("it is not a valid path"))?;
        if url.origin() != base.origin() {
            return Err(refuse("it is not on the account's server"));
        }
        Ok(url.to_string())
    }

    /// Opens page `path` of the account's own server (`server_page`) in the browser, through
    /// the opener the shell installed (`set_opener`): the web view itself may open nothing.
    pub async fn open_server_page(&self, id: &str, path: &str) -> Result<()> {
        let url = self.server_page(id, path).await?;
        let not_opened = |why: String| Error::Invalid {
            field: "path".into(),
            message: format!(
                "Could not open a browser ({why}). Open {url} in your browser yourself."
            ),
        };
        match self.inner.opener.get() {
            Some(open) => open(&url).map_err(not_opened),
            None => Err(not_opened("this window has no browser to hand pages to".into())),
        }
    }

    /// How `open_server_page` hands an address to the system browser; set once, by the shell.
    pub fn set_opener(
        &self,
        open: impl Fn(&str) -> std::result::Result<(), String> + Send + Sync + 'static,
    ) {
        let _ = self.inner.opener.set(Box::new(open));
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
    pub(crate) async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner, &mut AccountStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = lock(&inner.store);
            f(&inner, &mut store)
        })
        .await
        .map_err(join_error)?
    }

    pub(crate) async fn account(&self, id: &str) -> Result<SavedAccount> {
        let id = id.to_string();
        self.with_store(move |_, s| s.get(&id).cloned()).await
    }

    /// The account's client, its key read from the keychain the first time.
    pub(crate) async fn client(&self, id: &str) -> Result<TeamClient> {
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
    pub(crate) async fn call<T, F, Fut>(&self, id: &str, f: F) -> Result<T>
    where
        F: FnOnce(TeamClient) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let client = self.client(id).await?;
        f(client).await.inspect_err(|e| self.inner.on_error(id, e))
    }

    /// `me` from the cached snapshot (policy and account name change rarely), else fetched.
    pub(crate) async fn me(&self, id: &str, client: &TeamClient) -> Result<Me> {
        let (account, cache) = (id.to_string(), self.inner.cache.clone());
        if let Some(c) =
            tokio::task::spawn_blocking(move || cache.load(&account)).await.map_err(join_error)?
        {
            return Ok(c.snapshot.me);
        }
        client.me().await.inspect_err(|e| self.inner.on_error(id, e))
    }

    pub(crate) fn copy_to(&self) -> CopyTo<'static> {
        CopyTo::clipboard(self.inner.clipboard, CopyOptions::sensitive())
    }

    /// After a change to the list: follow the active account live (afresh when `restart`,
    /// e.g. its key changed) and tell the shell.
    pub(crate) fn accounts_changed(&self, view: &AccountsView, restart: bool) {
        self.watch(view.active.as_deref(), restart);
        let _ = self.inner.events.send(DeskEvent::AccountsChanged);
    }

    /// Makes the live watcher follow `account` (none: stop). Idempotent unless `restart`.
    pub(crate) fn watch(&self, account: Option<&str>, restart: bool) {
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
    pub(crate) fn view(&self, store: &AccountStore) -> AccountsView {
        AccountsView {
            accounts: store.accounts().to_vec(),
            active: store.active().map(|a| a.id.clone()),
            keychain: self.keychain_status(store.keychain(), store.accounts()),
            demo: self.demo,
        }
    }

    pub(crate) fn forget_client(&self, id: &str) {
        lock(&self.clients).remove(id);
    }

    pub(crate) fn on_error(&self, id: &str, e: &Error) {
        if e.code() == ErrorCode::BadKey {
            self.forget_client(id);
        }
    }
}

pub(crate) fn join_error(e: tokio::task::JoinError) -> Error {
    Error::Storage {
        action: "use",
        path: "the account list".into(),
        reason: format!("an internal task failed ({e}); retry"),
    }
}

/// Everything a team view shows, in parallel. Roles that may not read the audit log get an
/// empty one rather than a failed refresh.
async fn fetch_snapshot(client: &TeamClient) -> Result<Snapshot> {
    let (members_q, invites_q, audit_q) =
        (MemberQuery::default(), InviteQuery::default(), AuditQuery::default());
    let (me, members, invites, audit) = tokio::join!(
        client.me(),
        client.all_members(&members_q),
        client.all_invites(&invites_q),
        client.audit(&audit_q, Some(AUDIT_IN_VIEW), None)
    );
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
