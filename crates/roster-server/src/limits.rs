//! Token-bucket rate limits for the endpoints worth abusing: invite creation (per account)
//! and invite redemption (per client address and per token, against password guessing).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct Limits {
    pub invites_per_minute: u32,
    pub joins_per_minute_per_ip: u32,
    pub joins_per_minute_per_token: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            invites_per_minute: 120,
            joins_per_minute_per_ip: 60,
            joins_per_minute_per_token: 10,
        }
    }
}

impl Limits {
    /// For test suites that hammer one server from one address.
    pub fn relaxed() -> Self {
        Limits {
            invites_per_minute: 100_000,
            joins_per_minute_per_ip: 100_000,
            joins_per_minute_per_token: 1_000,
        }
    }
}

#[derive(Clone)]
pub struct Limiter {
    pub limits: Limits,
    buckets: Arc<Mutex<HashMap<String, (f64, Instant)>>>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Limiter { limits, buckets: Arc::default() }
    }

    /// Takes one token from the bucket `key` (capacity = `per_minute`, refilled continuously).
    pub fn take(&self, key: String, per_minute: u32) -> Result<(), ApiError> {
        let capacity = per_minute.max(1) as f64;
        let rate = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Bound memory under a flood of distinct keys: full buckets carry no state.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < capacity
            });
        }
        let (tokens, at) = buckets.entry(key).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(ApiError::rate_limited(((1.0 - *tokens) / rate).ceil() as u64))
        }
    }
}
