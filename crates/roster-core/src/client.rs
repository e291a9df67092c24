//! `TeamClient`: a typed method for every JSON endpoint of the Team API over one shared,
//! configured HTTP client. Problem documents become `Error::Api` with the server's code; every
//! transport or shape failure becomes its own typed error, never a panic or a hang. Reads retry
//! with backoff; so do invite creation and joining, which carry an `Idempotency-Key` fixed per
//! user action (per `join` call), so a retry after a lost response never makes a second invite
//! and never finds its own join's invite used.
//!
//! Deliberately without a method: `/join/{token}` and `/confirm-owner/{token}` are HTML pages
//! for the invitee's and the owner's browser (their JSON twins are `TeamClient::join` and
//! `TeamClient::confirm_owner_promotion`), and `/openapi.yaml` is the contract as a document
//! for people and tools, nothing a client acts on.

use std::net::IpAddr;
use std::time::Duration;

use futures::{Stream, StreamExt};
use reqwest::{Method, StatusCode, Url, header};
use roster_api::{
    AuditAction, AuditEvent, Health, Invite, InviteStatus, JoinRequest, Joined, Me, Member,
    MemberPatch, MemberSort, MemberUpdate, NewInvite, OwnerPromotion, Page, Problem,
    PromotionConfirmation, PromotionStatus, Role,
};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::secret::ApiKey;

/// Limits and timeouts of the shared HTTP client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    /// Whole request, body included (not for the event stream).
    pub request_timeout: Duration,
    /// The event stream is dropped when no byte (not even a keep-alive) arrives for this long.
    pub stream_idle_timeout: Duration,
    /// Bodies above this are refused; a members page of 200 is ~60 KB.
    pub max_body_bytes: usize,
    /// Attempts for retryable requests, the first included.
    pub attempts: u32,
    pub backoff: Duration,
    /// Whether https requests may go through the environment's proxy (`ProxyUse::from_env`).
    pub proxy: ProxyUse,
}

/// Turns the environment's proxy on for https (`ROSTER_USE_PROXY=1`); without it Roster
/// ignores HTTPS_PROXY, ALL_PROXY and HTTP_PROXY.
pub const PROXY_ENV: &str = "ROSTER_USE_PROXY";

/// Whether requests may go through a proxy. A proxy sees every header of a plain-http request,
/// the API key's included, so plain http (which Roster allows to this computer only) and
/// anything to this computer always go direct; https tunnels through the proxy (CONNECT),
/// which sees only the server's name, and only when the user turned it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyUse {
    /// Straight to the server, whatever the environment names.
    Direct,
    /// https to other computers through this proxy (HTTPS_PROXY or ALL_PROXY); `NO_PROXY`
    /// still applies.
    Https { url: String },
}

impl ProxyUse {
    /// `Https` with the environment's proxy when `ROSTER_USE_PROXY=1` and one is set.
    pub fn from_env() -> ProxyUse {
        match (std::env::var(PROXY_ENV).as_deref(), env_proxy()) {
            (Ok("1"), Some((_, url))) => ProxyUse::Https { url },
            _ => ProxyUse::Direct,
        }
    }

    /// What `roster accounts doctor` says about it, credentials masked.
    pub fn describe(&self) -> String {
        match (self, env_proxy()) {
            (ProxyUse::Https { url }, _) => format!(
                "https to other computers through {} ({PROXY_ENV}=1); this computer and plain http always direct",
                masked_proxy(url)
            ),
            (ProxyUse::Direct, Some((name, url))) => format!(
                "direct: {name} names {}, but Roster uses a proxy only with {PROXY_ENV}=1 (and then for https only)",
                masked_proxy(&url)
            ),
            (ProxyUse::Direct, None) => "direct (no proxy)".to_string(),
        }
    }
}

/// The environment's proxy for https, by the variable that names it.
fn env_proxy() -> Option<(&'static str, String)> {
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"].into_iter().find_map(|name| {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty()).map(|v| (name, v))
    })
}

/// A proxy address without the password it may carry.
fn masked_proxy(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Whether a request to `url` may take the proxy: https to another computer only.
fn takes_proxy(url: &Url) -> bool {
    url.scheme() == "https" && !is_loopback(url.host_str().unwrap_or_default())
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            stream_idle_timeout: Duration::from_secs(45),
            max_body_bytes: 4 * 1024 * 1024,
            attempts: 3,
            backoff: Duration::from_millis(250),
            proxy: ProxyUse::from_env(),
        }
    }
}

/// The process's HTTP clients (cheap to clone): one for API calls, one without a total
/// timeout for the event stream. Build one and share it across every account.
#[derive(Clone)]
pub struct Http {
    api: reqwest::Client,
    stream: reqwest::Client,
    config: HttpConfig,
}

impl Http {
    pub fn new(config: HttpConfig) -> Result<Http> {
        let proxy = match &config.proxy {
            ProxyUse::Direct => None,
            ProxyUse::Https { url } => {
                let target = Url::parse(url).map_err(|_| Error::Invalid {
                    field: "HTTPS_PROXY".into(),
                    message: format!(
                        "{PROXY_ENV}=1, but the proxy {} is not an address like http://proxy.example:3128. Fix HTTPS_PROXY / ALL_PROXY, or unset {PROXY_ENV}.",
                        masked_proxy(url)
                    ),
                })?;
                let proxy = reqwest::Proxy::custom(move |u| takes_proxy(u).then(|| target.clone()));
                Some(proxy.no_proxy(reqwest::NoProxy::from_env()))
            }
        };
        let base = || {
            let builder = reqwest::Client::builder()
                .user_agent(concat!("roster/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(config.connect_timeout)
                .gzip(true)
                .https_only(false) // http is allowed to loopback only, checked per server URL
                .redirect(reqwest::redirect::Policy::none())
                // Never the environment's proxies on their own: `proxy` says which one, if any.
                .no_proxy();
            match &proxy {
                Some(p) => builder.proxy(p.clone()),
                None => builder,
            }
        };
        let build = |b: reqwest::ClientBuilder| {
            b.build().map_err(|e| Error::Unreachable { url: String::new(), reason: e.to_string() })
        };
        Ok(Http {
            api: build(base().timeout(config.request_timeout))?,
            stream: build(base().read_timeout(config.stream_idle_timeout))?,
            config,
        })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }
}

/// Parses a server address and refuses plain `http://` anywhere but loopback: keys travel in
/// every request.
pub fn server_url(input: &str) -> Result<Url> {
    let trimmed = input.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|_| {
        Error::InsecureUrl(format!(
            "\"{trimmed}\" is not a server address; enter one like https://api.example.com"
        ))
    })?;
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(Error::InsecureUrl(format!(
                "{trimmed} uses plain http, which would send your API key unencrypted. Use https:// (plain http is allowed only to this computer)."
            )));
        }
        other => {
            return Err(Error::InsecureUrl(format!(
                "{trimmed}: the address must start with https:// (not {other}://)."
            )));
        }
    }
    if host.is_empty()
        || url.username() != ""
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(Error::InsecureUrl(format!(
            "{trimmed}: enter just the server address, like https://api.example.com"
        )));
    }
    Ok(url)
}

/// The URL of `path` on `server`, for the operations that take no key.
fn keyless_url(server: &str, path: &str) -> Result<String> {
    Ok(format!("{}{path}", server_url(server)?.as_str().trim_end_matches('/')))
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A key generated once per user action ("create this invite") and reused for every retry
/// of it, so the server creates the invite at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new() -> Self {
        let bytes: [u8; 16] = rand::random();
        IdempotencyKey(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
    /// A key a front end made for one user action, e.g. the desktop UI's
    /// `crypto.randomUUID()`. Refuses anything that does not look generated (16 to 128
    /// letters, digits, `-` or `_`): a short or hand-made key could collide with the key of
    /// another invite, and the server would then refuse or replay the wrong one.
    pub fn parse(text: &str) -> Result<IdempotencyKey> {
        let generated = (16..=128).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !generated {
            return Err(Error::Invalid {
                field: "idempotency_key".into(),
                message: "The idempotency key must be 16 to 128 letters, digits, '-' or '_' (a UUID, say), made once per invite the user creates.".into(),
            });
        }
        Ok(IdempotencyKey(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for IdempotencyKey {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemberQuery {
    pub q: Option<String>,
    pub role: Option<String>,
    pub sort: MemberSort,
}

#[derive(Debug, Clone, Default)]
pub struct InviteQuery {
    pub status: Option<InviteStatus>,
    pub q: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action: Option<AuditAction>,
    pub actor: Option<String>,
    pub q: Option<String>,
}

/// One account's view of the Team API: a server, a key, and the shared `Http`.
#[derive(Clone)]
pub struct TeamClient {
    http: Http,
    base: Url,
    key: ApiKey,
}

impl std::fmt::Debug for TeamClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamClient")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .finish()
    }
}

fn enc(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn status_str(s: InviteStatus) -> &'static str {
    s.as_str()
}

fn promotion_status_str(s: PromotionStatus) -> &'static str {
    match s {
        PromotionStatus::Pending => "pending",
        PromotionStatus::Confirmed => "confirmed",
        PromotionStatus::Cancelled => "cancelled",
        PromotionStatus::Expired => "expired",
    }
}

/// Query-string builder that skips absent values.
#[derive(Default)]
struct Params(Vec<(&'static str, String)>);

impl Params {
    fn opt(mut self, k: &'static str, v: Option<impl Into<String>>) -> Self {
        if let Some(v) = v {
            self.0.push((k, v.into()));
        }
        self
    }
    fn render(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let parts: Vec<String> =
            self.0.iter().map(|(k, v)| format!("{k}={}", url_escape(v))).collect();
        format!("?{}", parts.join("&"))
    }
}

/// Whether a failed attempt may be repeated unchanged.
#[derive(Clone, Copy, PartialEq)]
enum Retry {
    Yes,
    No,
}

impl TeamClient {
    pub fn new(http: &Http, server: &str, key: ApiKey) -> Result<TeamClient> {
        Ok(TeamClient { http: http.clone(), base: server_url(server)?, key })
    }

    pub fn server(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server())
    }

    pub async fn me(&self) -> Result<Me> {
        self.get("/v1/me").await
    }

    pub async fn roles(&self) -> Result<Vec<Role>> {
        Ok(self.get::<Page<Role>>("/v1/roles").await?.data)
    }

    pub async fn members(
        &self,
        query: &MemberQuery,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Member>> {
        let p = Params::default()
            .opt("q", query.q.clone())
            .opt("role", query.role.clone())
            .opt("sort", (query.sort != MemberSort::Joined).then_some(query.sort.as_str()))
            .opt("limit", limit.map(|l| l.to_string()))
            .opt("cursor", cursor);
        self.get(&format!("/v1/members{}", p.render())).await
    }

    /// Every member, following cursors (200 per page).
    pub async fn all_members(&self, query: &MemberQuery) -> Result<Vec<Member>> {
        self.collect(
            |cursor| async move { self.members(query, Some(200), cursor.as_deref()).await },
        )
        .await
    }

    pub async fn member(&self, user_id: &str) -> Result<Member> {
        self.get(&format!("/v1/members/{}", enc(user_id))).await
    }

    pub async fn update_member(&self, user_id: &str, patch: &MemberPatch) -> Result<MemberUpdate> {
        self.send(
            Method::PATCH,
            &format!("/v1/members/{}", enc(user_id)),
            Some(patch),
            None,
            Retry::No,
        )
        .await
    }

    pub async fn remove_member(&self, user_id: &str) -> Result<()> {
        self.send_empty(Method::DELETE, &format!("/v1/members/{}", enc(user_id))).await
    }

    /// Leave the account (the key stops working afterwards).
    pub async fn leave(&self) -> Result<()> {
        self.send_empty(Method::DELETE, "/v1/members/me").await
    }

    pub async fn invites(
        &self,
        query: &InviteQuery,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Invite>> {
        let p = Params::default()
            .opt("status", query.status.map(status_str))
            .opt("q", query.q.clone())
            .opt("limit", limit.map(|l| l.to_string()))
            .opt("cursor", cursor);
        self.get(&format!("/v1/invites{}", p.render())).await
    }

    pub async fn all_invites(&self, query: &InviteQuery) -> Result<Vec<Invite>> {
        self.collect(
            |cursor| async move { self.invites(query, Some(200), cursor.as_deref()).await },
        )
        .await
    }

    pub async fn invite(&self, id: &str) -> Result<Invite> {
        self.get(&format!("/v1/invites/{}", enc(id))).await
    }

    /// Creates an invite. Pass the same `key` for every attempt of one user action.
    pub async fn create_invite(&self, new: &NewInvite, key: &IdempotencyKey) -> Result<Invite> {
        self.send(Method::POST, "/v1/invites", Some(new), Some(key), Retry::Yes).await
    }

    pub async fn resend_invite(&self, id: &str) -> Result<Invite> {
        self.send(
            Method::POST,
            &format!("/v1/invites/{}/resend", enc(id)),
            None::<&()>,
            None,
            Retry::No,
        )
        .await
    }

    pub async fn revoke_invite(&self, id: &str) -> Result<Invite> {
        self.send(
            Method::POST,
            &format!("/v1/invites/{}/revoke", enc(id)),
            None::<&()>,
            None,
            Retry::No,
        )
        .await
    }

    pub async fn audit(
        &self,
        query: &AuditQuery,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEvent>> {
        let p = Params::default()
            .opt("action", query.action.map(|a| a.as_str()))
            .opt("actor", query.actor.clone())
            .opt("q", query.q.clone())
            .opt("limit", limit.map(|l| l.to_string()))
            .opt("cursor", cursor);
        self.get(&format!("/v1/audit{}", p.render())).await
    }

    pub async fn owner_promotions(
        &self,
        status: Option<PromotionStatus>,
    ) -> Result<Vec<OwnerPromotion>> {
        self.collect(|cursor| async move {
            let p = Params::default()
                .opt("status", status.map(promotion_status_str))
                .opt("limit", Some("200"))
                .opt("cursor", cursor);
            self.get::<Page<OwnerPromotion>>(&format!("/v1/owner-promotions{}", p.render())).await
        })
        .await
    }

    pub async fn cancel_owner_promotion(&self, id: &str) -> Result<OwnerPromotion> {
        self.send(
            Method::POST,
            &format!("/v1/owner-promotions/{}/cancel", enc(id)),
            None::<&()>,
            None,
            Retry::No,
        )
        .await
    }

    /// Whether `server` is up (no key needed, none is sent).
    pub async fn health(http: &Http, server: &str) -> Result<Health> {
        exchange(
            http,
            Method::GET,
            &keyless_url(server, "/healthz")?,
            None,
            None::<&()>,
            None,
            Retry::Yes,
        )
        .await
    }

    /// The invitee's side (no key needed): redeem an invite token. Retried like a read: the
    /// call makes one `Idempotency-Key` and sends it with each of its attempts, so a retry after
    /// a lost answer gets the server's replay of the join it already made, not `invite_gone`
    /// for an invite it used itself. A new call is a new join with a new key.
    pub async fn join(http: &Http, server: &str, req: &JoinRequest) -> Result<Joined> {
        let key = IdempotencyKey::new();
        exchange(
            http,
            Method::POST,
            &keyless_url(server, "/v1/join")?,
            None,
            Some(req),
            Some(&key),
            Retry::Yes,
        )
        .await
    }

    /// The requesting owner's side (no key needed: the token from the e-mailed link is the
    /// credential): confirm a pending owner promotion. Never retried: a repeat after a lost
    /// answer would be refused as `promotion_not_pending` although the first one took effect.
    pub async fn confirm_owner_promotion(
        http: &Http,
        server: &str,
        token: &str,
    ) -> Result<OwnerPromotion> {
        let body = PromotionConfirmation { token: token.to_string() };
        exchange(
            http,
            Method::POST,
            &keyless_url(server, "/v1/owner-promotions/confirm")?,
            None,
            Some(&body),
            None,
            Retry::No,
        )
        .await
    }

    /// Live audit events of the account. `last_event_id` resumes after a reconnect. The
    /// stream ends with an error when the connection drops; the caller reconnects.
    pub async fn events(
        &self,
        last_event_id: Option<&str>,
    ) -> Result<impl Stream<Item = Result<AuditEvent>> + Send + 'static> {
        let url = self.url("/v1/events");
        let mut req = self
            .http
            .stream
            .get(&url)
            .bearer_auth(self.key.expose())
            .header(header::ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let cfg = &self.http.config;
        let resp = req.send().await.map_err(|e| {
            // The stream client has no total timeout: what can expire is connecting or the idle read.
            let limit = if e.is_connect() { cfg.connect_timeout } else { cfg.stream_idle_timeout };
            transport(&url, e, limit)
        })?;
        if !resp.status().is_success() {
            return Err(read_json::<serde_json::Value>(
                &url,
                resp,
                cfg.max_body_bytes,
                cfg.stream_idle_timeout,
            )
            .await
            .err()
            .unwrap_or(Error::Server { url, status: 0 }));
        }
        // A captive portal or a wrong address answers 200 with a page: say so instead of
        // waiting on a stream that will never carry an event.
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !content_type.starts_with("text/event-stream") {
            return Err(Error::NotJson {
                url,
                status: resp.status().as_u16(),
                content_type: describe_type(&content_type),
            });
        }
        Ok(sse_events(url, resp.bytes_stream(), cfg.max_body_bytes, cfg.stream_idle_timeout))
    }

    async fn collect<T, F, Fut>(&self, mut page: F) -> Result<Vec<T>>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: std::future::Future<Output = Result<Page<T>>>,
    {
        let mut out = Vec::new();
        let mut cursor = None;
        // A server that hands out a cursor it gave before would keep this loop (and memory) growing forever.
        let mut seen = std::collections::HashSet::new();
        loop {
            let p = page(cursor.take()).await?;
            out.extend(p.data);
            match p.next_cursor {
                Some(c) if !seen.insert(c.clone()) => {
                    return Err(Error::UnexpectedShape {
                        url: self.server().to_string(),
                        detail: "it sent the same page cursor twice".into(),
                    });
                }
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(Method::GET, path, None::<&()>, None, Retry::Yes).await
    }

    async fn send_empty(&self, method: Method, path: &str) -> Result<()> {
        self.send::<serde_json::Value, ()>(method, path, None, None, Retry::No).await.map(|_| ())
    }

    async fn send<T: DeserializeOwned, B: serde::Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        idempotency: Option<&IdempotencyKey>,
        retry: Retry,
    ) -> Result<T> {
        exchange(&self.http, method, &self.url(path), Some(&self.key), body, idempotency, retry)
            .await
    }
}

/// One call to `url` (with `key` as the bearer, when the operation takes one), repeated on
/// transient failures when `retry` allows.
async fn exchange<T: DeserializeOwned, B: serde::Serialize + ?Sized>(
    http: &Http,
    method: Method,
    url: &str,
    key: Option<&ApiKey>,
    body: Option<&B>,
    idempotency: Option<&IdempotencyKey>,
    retry: Retry,
) -> Result<T> {
    let cfg = &http.config;
    let attempts = if retry == Retry::Yes { cfg.attempts.max(1) } else { 1 };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut req =
            http.api.request(method.clone(), url).header(header::ACCEPT, "application/json");
        if let Some(k) = key {
            req = req.bearer_auth(k.expose());
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(k) = idempotency {
            req = req.header("idempotency-key", k.as_str());
        }
        let result = match req.send().await {
            Ok(resp) => read_json(url, resp, cfg.max_body_bytes, cfg.request_timeout).await,
            Err(e) => Err(transport(url, e, cfg.request_timeout)),
        };
        match result {
            Err(e) if attempt < attempts && e.is_transient() => {
                let wait = e
                    .retry_after()
                    .map(Duration::from_secs)
                    .unwrap_or(cfg.backoff * 2u32.pow(attempt - 1));
                // A server asking for a long pause gets the error instead of a frozen UI.
                if wait > Duration::from_secs(10) {
                    return Err(e);
                }
                tracing::debug!(%url, attempt, error = %e, "retrying");
                tokio::time::sleep(wait).await;
            }
            other => return other,
        }
    }
}

fn timeout_error(url: &str, timeout: Duration) -> Error {
    Error::Timeout { url: url.to_string(), seconds: timeout.as_secs().max(1) }
}

fn transport(url: &str, e: reqwest::Error, timeout: Duration) -> Error {
    if e.is_timeout() {
        timeout_error(url, timeout)
    } else if e.is_body() || e.is_decode() {
        Error::Truncated { url: url.to_string() }
    } else {
        // reqwest's Display of a connect error names only the URL; the source says why.
        let mut reason = String::new();
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        while let Some(s) = src {
            reason = s.to_string();
            src = s.source();
        }
        if reason.is_empty() {
            reason = e.to_string();
        }
        Error::Unreachable { url: url.to_string(), reason }
    }
}

/// Reads a body up to `limit` bytes and maps it to `T` or to the right typed error.
/// `timeout` is the client's limit that can expire while the body arrives (for the message).
async fn read_json<T: DeserializeOwned>(
    url: &str,
    resp: reqwest::Response,
    limit: usize,
    timeout: Duration,
) -> Result<T> {
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    if resp.content_length().is_some_and(|n| n as usize > limit) {
        return Err(Error::TooLarge { url: url.to_string(), limit_bytes: limit });
    }
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            if e.is_timeout() {
                timeout_error(url, timeout)
            } else {
                Error::Truncated { url: url.to_string() }
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(Error::TooLarge { url: url.to_string(), limit_bytes: limit });
        }
        body.extend_from_slice(&chunk);
    }
    if status == StatusCode::NO_CONTENT {
        return serde_json::from_slice(b"null")
            .map_err(|e| Error::UnexpectedShape { url: url.to_string(), detail: e.to_string() });
    }
    let is_problem = content_type.starts_with("application/problem+json");
    let is_json = content_type.starts_with("application/json") || is_problem;
    if !status.is_success() {
        if is_json && let Ok(problem) = serde_json::from_slice::<Problem>(&body) {
            return Err(Error::Api { problem, retry_after });
        }
        if status.is_server_error() {
            return Err(Error::Server { url: url.to_string(), status: status.as_u16() });
        }
        return Err(Error::NotJson {
            url: url.to_string(),
            status: status.as_u16(),
            content_type: describe_type(&content_type),
        });
    }
    if !is_json {
        return Err(Error::NotJson {
            url: url.to_string(),
            status: status.as_u16(),
            content_type: describe_type(&content_type),
        });
    }
    serde_json::from_slice(&body).map_err(|e| {
        if e.is_eof() {
            Error::Truncated { url: url.to_string() }
        } else {
            Error::UnexpectedShape { url: url.to_string(), detail: e.to_string() }
        }
    })
}

fn describe_type(ct: &str) -> String {
    if ct.is_empty() {
        "no content type".into()
    } else {
        ct.split(';').next().unwrap_or(ct).to_string()
    }
}

/// Parses a `text/event-stream` body into audit events (other event types are skipped).
fn sse_events(
    url: String,
    bytes: impl Stream<Item = reqwest::Result<bytes::Bytes>> + Send + 'static,
    line_limit: usize,
    idle_timeout: Duration,
) -> impl Stream<Item = Result<AuditEvent>> + Send + 'static {
    struct State<S> {
        bytes: std::pin::Pin<Box<S>>,
        buf: Vec<u8>,
        event: String,
        data: String,
        url: String,
        done: bool,
    }
    let state = State {
        bytes: Box::pin(bytes),
        buf: Vec::new(),
        event: String::new(),
        data: String::new(),
        url,
        done: false,
    };
    futures::stream::unfold(state, move |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            // Dispatch every complete line already buffered.
            while let Some(pos) = st.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = st.buf.drain(..=pos).collect();
                let line =
                    String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']).to_string();
                if line.is_empty() {
                    let event = std::mem::take(&mut st.event);
                    let data = std::mem::take(&mut st.data);
                    if (event.is_empty() || event == "audit") && !data.is_empty() {
                        let parsed = serde_json::from_str::<AuditEvent>(&data).map_err(|e| {
                            Error::UnexpectedShape { url: st.url.clone(), detail: e.to_string() }
                        });
                        return Some((parsed, st));
                    }
                } else if let Some(v) = line.strip_prefix("data:") {
                    if !st.data.is_empty() {
                        st.data.push('\n');
                    }
                    st.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                } else if let Some(v) = line.strip_prefix("event:") {
                    st.event = v.trim().to_string();
                }
            }
            if st.buf.len() > line_limit {
                st.done = true;
                return Some((
                    Err(Error::TooLarge { url: st.url.clone(), limit_bytes: line_limit }),
                    st,
                ));
            }
            match st.bytes.next().await {
                Some(Ok(chunk)) => st.buf.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    st.done = true;
                    // Silence past the idle limit means a dead connection: reconnect, not "bad server".
                    let err = if e.is_timeout() {
                        timeout_error(&st.url, idle_timeout)
                    } else {
                        Error::Truncated { url: st.url.clone() }
                    };
                    return Some((Err(err), st));
                }
                None => {
                    st.done = true;
                    return Some((
                        Err(Error::Unreachable {
                            url: st.url.clone(),
                            reason: "the event stream closed".into(),
                        }),
                        st,
                    ));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_proxy_then_only_https_to_other_computers_takes_it_and_its_password_never_shows() {
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(takes_proxy(&url("https://api.example.com/v1/me")));
        for direct in [
            "http://127.0.0.1:8080/v1/me",
            "https://localhost/v1/me",
            "https://[::1]:8443/",
            "http://10.0.0.5/",
        ] {
            assert!(!takes_proxy(&url(direct)), "{direct}");
        }
        assert_eq!(
            masked_proxy("http://ana:s3cret@proxy.example:3128"),
            "http://ana:***@proxy.example:3128/"
        );
        assert_eq!(masked_proxy("http://proxy.example:3128"), "http://proxy.example:3128");
    }

    #[test]
    fn plain_http_is_refused_off_loopback() {
        assert!(server_url("http://127.0.0.1:8080").is_ok());
        assert!(server_url("http://localhost:8080/").is_ok());
        assert!(server_url("http://[::1]:9000").is_ok());
        assert!(server_url("https://api.example.com").is_ok());
        for bad in [
            "http://api.example.com",
            "http://10.0.0.5",
            "ftp://x.example",
            "api.example.com",
            "https://user:pw@x.example",
            "",
        ] {
            let e = server_url(bad).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InsecureUrl, "{bad}");
        }
        assert!(server_url("http://example.com").unwrap_err().to_string().contains("unencrypted"));
    }

    #[test]
    fn idempotency_keys_are_fresh_per_action() {
        assert_ne!(IdempotencyKey::new(), IdempotencyKey::new());
        assert_eq!(IdempotencyKey::new().as_str().len(), 32);
    }

    #[test]
    fn given_a_front_ends_key_when_parsing_then_generated_keys_pass_and_garbage_is_invalid() {
        for good in [
            "0f8e1c9a-4b2d-4e6f-9a1b-3c5d7e9f1a2b",
            "0123456789abcdef",
            IdempotencyKey::new().as_str(),
            &"k".repeat(128),
        ] {
            assert_eq!(IdempotencyKey::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "1",
            "short-key-12345",
            "has spaces in it 0123",
            "ünïcode-0123456789",
            "line\nbreak-0123456789",
            &"k".repeat(129),
            "semi;colon;0123456789",
        ] {
            let e = IdempotencyKey::parse(bad).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::Invalid, "{bad:?}");
            assert!(
                matches!(&e, Error::Invalid { field, .. } if field == "idempotency_key"),
                "{e:?}"
            );
        }
    }
}
