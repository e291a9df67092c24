//! Secrets (API keys) in a type that cannot leak by accident: `Debug` and `Display` redact,
//! there is no `Serialize`, and the only way to the text is the explicit `expose`. Reading
//! one (`Deserialize`) is allowed: a key the window sends is a `Sensitive` from its first byte.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }
    /// The secret itself. Call it only where the secret must leave the process: the
    /// Authorization header and the keychain.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An API key of one account.
pub type ApiKey = Sensitive<String>;

impl ApiKey {
    /// `rst_ab…xy`: enough to tell keys apart in a doctor view, useless to an attacker.
    pub fn masked(&self) -> String {
        let k = self.0.as_str();
        let n = k.chars().count();
        if n <= 10 {
            return "•".repeat(n.max(4));
        }
        let head: String = k.chars().take(6).collect();
        let tail: String = k.chars().skip(n - 4).collect();
        format!("{head}…{tail}")
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Sensitive)
    }
}

impl From<String> for ApiKey {
    fn from(s: String) -> Self {
        Sensitive(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_display_and_mask_never_show_the_key() {
        let key = ApiKey::from("rst_supersecretvalue1234567890".to_string());
        assert_eq!(format!("{key:?}"), "Sensitive(<redacted>)");
        assert_eq!(format!("{key}"), "<redacted>");
        assert_eq!(key.masked(), "rst_su…7890");
        assert!(!format!("{:?}", Some(&key)).contains("secret"));
    }
}
