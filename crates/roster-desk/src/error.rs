//! The error as the window receives it.

use roster_core::{Error, ErrorCode};
use serde::Serialize;

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
        AppError::from(&e)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_errors_carry_the_code_and_the_message() {
        let e = Error::UnknownAccount("x".into());
        let a = AppError::from(&e);
        assert_eq!(a.code, ErrorCode::UnknownAccount);
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::json!({"code": "unknown_account", "message": e.to_string()})
        );
    }
}
