//! Listing pages: the `limit` bounds, opaque cursors (`c1:<row id>`, base64url), substring
//! search as a `LIKE` pattern, and rows turned into a `Page` with the next cursor.

use roster_api::Page;

use crate::error::ApiError;

pub fn decode_cursor(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(c) = cursor else { return Ok(None) };
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("c1:").and_then(|n| n.parse::<i64>().ok()))
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "cursor: not a cursor this server issued; start again without it.",
            )
        })
}

pub fn encode_cursor(id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("c1:{id}"))
}

pub fn check_limit(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=200) => Ok(n as usize),
        Some(_) => Err(ApiError::bad_request("limit: must be between 1 and 200.")),
    }
}

/// `LIKE` pattern matching the search term `q` as a plain substring; `None` for no search.
pub fn like_pattern(q: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(q) = q.filter(|q| !q.is_empty()) else { return Ok(None) };
    if q.chars().count() > 200 {
        return Err(ApiError::bad_request("q: at most 200 characters."));
    }
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Ok(Some(format!("%{escaped}%")))
}

/// Turns `limit + 1` fetched rows into a page.
pub fn page<T>(mut rows: Vec<(i64, T)>, limit: usize) -> Page<T> {
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|(id, _)| encode_cursor(*id))
    } else {
        None
    };
    Page { data: rows.into_iter().map(|(_, t)| t).collect(), next_cursor }
}
