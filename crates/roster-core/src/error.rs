//! One error type for everything roster-core does. Each error knows a small `ErrorCode` the
//! app and CLI branch on, and a message that says what went wrong and what to do. No error
//! ever carries an API key.

use roster_api::Problem;

/// What a front end needs to decide how to react. Keep it small: every variant is one the UI
/// actually treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The key was refused: re-enter it.
    BadKey,
    /// The role may not do this: say which role can.
    NoPermission,
    /// The thing is gone (removed member, unknown invite, dead link).
    NotFound,
    /// The input was refused; the message says which field.
    Invalid,
    /// The team's seats are full.
    SeatLimit,
    /// Would leave the team without an owner.
    LastOwner,
    /// A state conflict: already invited, already a member, invite not pending.
    Conflict,
    /// Too many requests: wait `retry_after` seconds.
    RateLimited,
    /// The server could not be reached or did not answer in time: retry, show cached data.
    Unreachable,
    /// The server answered something that is not the Team API (HTML, truncated, too big).
    BadResponse,
    /// The server failed (5xx).
    ServerError,
    /// No keychain is reachable (no Secret Service, no session bus).
    KeychainUnavailable,
    /// The keychain is locked or refused access.
    KeychainLocked,
    /// The account's key is missing from the keychain.
    KeyMissing,
    /// The server URL is not acceptable (plain http off loopback, malformed).
    InsecureUrl,
    /// No such account in the account list.
    UnknownAccount,
    /// The clipboard could not be written.
    Clipboard,
    /// A local file (config, cache) could not be read or written.
    Storage,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a problem document.
    #[error("{}", .problem.detail)]
    Api { problem: Problem, retry_after: Option<u64> },
    #[error(
        "Cannot reach {url}: {reason}. Check that the server is running and the address is right, then retry."
    )]
    Unreachable { url: String, reason: String },
    #[error(
        "{url} did not answer within {seconds} s. Retry; if it keeps happening the server is overloaded or down."
    )]
    Timeout { url: String, seconds: u64 },
    #[error(
        "{url} answered {status} with {content_type}, not the Team API's JSON. Is this the right server address?"
    )]
    NotJson { url: String, status: u16, content_type: String },
    #[error(
        "{url} sent a response larger than {limit_bytes} bytes; refused. Is this the right server address?"
    )]
    TooLarge { url: String, limit_bytes: usize },
    #[error("The answer from {url} was cut off before it ended. Retry.")]
    Truncated { url: String },
    #[error(
        "{url} answered with JSON of an unexpected shape ({detail}). The server may run a different API version."
    )]
    UnexpectedShape { url: String, detail: String },
    #[error(
        "The server failed ({status}) at {url}. Retry later; if it persists, tell the server's operator."
    )]
    Server { url: String, status: u16 },
    #[error("{0}")]
    InsecureUrl(String),
    #[error("{message}")]
    Keychain { code: ErrorCode, message: String },
    /// Local input refused before anything was sent (a label, a colour, a pasted list).
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("No account named or with id \"{0}\". List accounts to see their names.")]
    UnknownAccount(String),
    #[error("Could not write to the clipboard: {0}. The link is shown so you can copy it by hand.")]
    Clipboard(String),
    #[error("Could not {action} {path}: {reason}")]
    Storage { action: &'static str, path: String, reason: String },
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        use roster_api::ErrorCode as S;
        match self {
            Error::Api { problem, .. } => match problem.code {
                S::Unauthorized | S::InvalidCredentials => ErrorCode::BadKey,
                S::Forbidden
                | S::OwnerOnly
                | S::IdentityProviderRequired
                | S::SecureSignInRequired
                | S::EmailMismatch => ErrorCode::NoPermission,
                S::NotFound | S::InviteGone => ErrorCode::NotFound,
                S::SeatLimitReached => ErrorCode::SeatLimit,
                S::LastOwner => ErrorCode::LastOwner,
                S::InviteNotPending
                | S::InviteExists
                | S::AlreadyMember
                | S::EmailTaken
                | S::PromotionNotPending
                | S::IdempotencyMismatch => ErrorCode::Conflict,
                S::RateLimited => ErrorCode::RateLimited,
                S::Internal => ErrorCode::ServerError,
                // A policy refusal (a delivery method or option this team lacks) is about the
                // input, not the caller's role: the fix is to change the form.
                S::ValidationFailed
                | S::UnknownRole
                | S::NotAllowedByPolicy
                | S::UnsupportedMediaType
                | S::PayloadTooLarge
                | S::MethodNotAllowed => ErrorCode::Invalid,
            },
            Error::Unreachable { .. } | Error::Timeout { .. } => ErrorCode::Unreachable,
            Error::NotJson { .. }
            | Error::TooLarge { .. }
            | Error::Truncated { .. }
            | Error::UnexpectedShape { .. } => ErrorCode::BadResponse,
            Error::Server { .. } => ErrorCode::ServerError,
            Error::InsecureUrl(_) => ErrorCode::InsecureUrl,
            Error::Keychain { code, .. } => *code,
            Error::Invalid { .. } => ErrorCode::Invalid,
            Error::UnknownAccount(_) => ErrorCode::UnknownAccount,
            Error::Clipboard(_) => ErrorCode::Clipboard,
            Error::Storage { .. } => ErrorCode::Storage,
        }
    }

    /// The server's own machine code, when the server answered with a problem.
    pub fn server_code(&self) -> Option<roster_api::ErrorCode> {
        match self {
            Error::Api { problem, .. } => Some(problem.code),
            _ => None,
        }
    }

    /// Seconds to wait before retrying, when the server said.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Worth retrying the same request unchanged (transport trouble, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code(),
            ErrorCode::Unreachable | ErrorCode::ServerError | ErrorCode::RateLimited
        ) || matches!(self, Error::Truncated { .. })
    }

    pub(crate) fn storage(
        action: &'static str,
        path: &std::path::Path,
        e: impl std::fmt::Display,
    ) -> Error {
        Error::Storage { action, path: path.display().to_string(), reason: e.to_string() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
