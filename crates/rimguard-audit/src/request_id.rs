//! The request id: taken from `x-request-id` when the caller sent a
//! well-formed one, generated otherwise.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};

/// The header a request id is read from and echoed in.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id accepted from a caller, in bytes.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// The id of one request, in the request extensions and in its audit record.
///
/// A caller's `x-request-id` is kept when it is 1 to 64 bytes of ASCII
/// letters, digits, `-`, `_`, `.` or `:`; anything else is replaced by a
/// generated id, so a record never carries arbitrary caller text as its id.
/// Generated ids are 32 lowercase hex digits, unique within a process and,
/// with a random per-process seed, across restarts.
///
/// The id is stored inline: cloning it copies 65 bytes and allocates nothing.
///
/// # Example
///
/// ```
/// use http::HeaderMap;
/// use rimguard_audit::RequestId;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-request-id", "req-42".parse().unwrap());
/// assert_eq!(RequestId::from_headers(&headers).unwrap().as_str(), "req-42");
///
/// headers.insert("x-request-id", "two words".parse().unwrap());
/// assert!(RequestId::from_headers(&headers).is_none());
/// assert_eq!(RequestId::generate().as_str().len(), 32);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId {
    len: u8,
    bytes: [u8; MAX_REQUEST_ID_LEN],
}

impl RequestId {
    /// Accepts `id` when it is well-formed (see the type docs).
    pub fn parse(id: &str) -> Option<Self> {
        let raw = id.as_bytes();
        let well_formed = (1..=MAX_REQUEST_ID_LEN).contains(&raw.len())
            && raw
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if !well_formed {
            return None;
        }

        let mut bytes = [0; MAX_REQUEST_ID_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Some(Self {
            len: raw.len() as u8,
            bytes,
        })
    }

    /// The caller's `x-request-id`, when present and well-formed.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let value = headers.get(&REQUEST_ID_HEADER)?;
        Self::parse(value.to_str().ok()?)
    }

    /// A new id: 32 hex digits, never repeated within this process.
    pub fn generate() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let (seed, mix) = *process_seed();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // An odd multiplier makes the map a bijection, so distinct counters
        // give distinct ids; the xor hides how many requests came before.
        let scrambled = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ mix;

        let mut bytes = [0; MAX_REQUEST_ID_LEN];
        hex::encode_to_slice(seed.to_be_bytes(), &mut bytes[..16])
            .expect("16 hex digits fit the first 16 bytes");
        hex::encode_to_slice(scrambled.to_be_bytes(), &mut bytes[16..32])
            .expect("16 hex digits fit bytes 16 to 32");
        Self { len: 32, bytes }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)])
            .expect("a request id holds only ASCII, checked when it was made")
    }

    /// The id as a header value, for echoing it to the caller.
    pub fn to_header_value(&self) -> HeaderValue {
        HeaderValue::from_str(self.as_str()).expect("a request id holds only header-safe ASCII")
    }
}

fn process_seed() -> &'static (u64, u64) {
    static SEED: OnceLock<(u64, u64)> = OnceLock::new();
    SEED.get_or_init(|| {
        let state = RandomState::new();
        let now = std::time::SystemTime::now();
        let pid = std::process::id();
        (
            state.hash_one((now, pid, 1u8)),
            state.hash_one((now, pid, 2u8)),
        )
    })
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.as_str())
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_do_not_repeat() {
        let ids: std::collections::HashSet<_> =
            (0..10_000).map(|_| RequestId::generate()).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn ids_with_unsafe_characters_or_too_long_are_refused() {
        assert!(RequestId::parse("").is_none());
        assert!(RequestId::parse("a\"b").is_none());
        assert!(RequestId::parse("é").is_none());
        assert!(RequestId::parse(&"a".repeat(65)).is_none());
        assert!(RequestId::parse(&"a".repeat(64)).is_some());
        assert!(RequestId::parse("0f3c-11:aa_b.c").is_some());
    }
}
