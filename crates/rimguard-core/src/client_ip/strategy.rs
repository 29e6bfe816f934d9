//! What the user chooses: the strategy, the failure policy and the limits.

use std::fmt;

use http::{HeaderName, StatusCode};
use serde::{Deserialize, Serialize};

use crate::{Layer, Rejection};

/// How the client address is found. There is no default: pick one.
///
/// See the [module docs](super) for when to use which.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Strategy {
    /// The socket peer, and nothing else. Right when clients connect
    /// directly, with no proxy in front.
    Peer,
    /// The rightmost address in the forwarding chain that is not a trusted
    /// proxy, read from the listed headers, when the socket peer is a
    /// trusted proxy.
    RightmostUntrusted {
        /// The headers your proxies write; one or both. A request that
        /// carries more than one of them fails (the chains cannot be merged).
        headers: Vec<ForwardingHeader>,
    },
    /// The address that the `hops`-th proxy from this server saw: with one
    /// proxy (the socket peer) the rightmost entry, with two the one before
    /// it. For proxies whose addresses you do not know (a cloud load
    /// balancer), as long as you know how many there are.
    TrustedCount {
        /// The header the proxies append to.
        header: ForwardingHeader,
        /// The number of proxies in front of this server, the socket peer
        /// included. Must be at least 1.
        hops: u32,
    },
    /// A header that holds one address, set (and overwritten) by a trusted
    /// proxy: `CF-Connecting-IP`, `X-Real-IP`, `True-Client-IP`, ….
    Header {
        /// The header's name.
        name: HeaderName,
    },
}

impl Strategy {
    /// [`Strategy::RightmostUntrusted`] over `X-Forwarded-For`.
    pub fn rightmost_x_forwarded_for() -> Self {
        Self::RightmostUntrusted {
            headers: vec![ForwardingHeader::XForwardedFor],
        }
    }

    /// [`Strategy::RightmostUntrusted`] over `Forwarded` (RFC 7239).
    pub fn rightmost_forwarded() -> Self {
        Self::RightmostUntrusted {
            headers: vec![ForwardingHeader::Forwarded],
        }
    }

    /// The name used in configuration files and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Peer => "peer",
            Self::RightmostUntrusted { .. } => "rightmost-untrusted",
            Self::TrustedCount { .. } => "trusted-count",
            Self::Header { .. } => "header",
        }
    }
}

/// A header that carries a chain of forwarding entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardingHeader {
    /// `Forwarded` (RFC 7239): the `for` parameter of each element.
    Forwarded,
    /// `X-Forwarded-For`: a comma-separated list of addresses.
    XForwardedFor,
}

impl ForwardingHeader {
    /// The header name.
    pub fn header_name(self) -> HeaderName {
        match self {
            Self::Forwarded => http::header::FORWARDED,
            Self::XForwardedFor => HeaderName::from_static("x-forwarded-for"),
        }
    }

    /// The lower-case name, as written in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forwarded => "forwarded",
            Self::XForwardedFor => "x-forwarded-for",
        }
    }
}

impl fmt::Display for ForwardingHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do when the address cannot be resolved.
///
/// In configuration files: `"reject"` or `"peer"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailurePolicy {
    /// Refuse the request with a 4xx [`Rejection`] from [`Layer::ClientIp`].
    Reject,
    /// Use the socket peer's address instead. When the peer is a trusted
    /// proxy, every failing request then looks like it comes from that
    /// proxy: never allowlist your proxies if you choose this.
    Peer,
}

/// The failure policy, per kind of failure.
///
/// [`FailurePolicies::all`] sets one policy for every kind; the fields let
/// you differ, for example rejecting malformed chains while falling back to
/// the peer when an internal caller sends no header at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FailurePolicies {
    /// A malformed, obfuscated, `unknown`, oversized or ambiguous chain, or a
    /// deciding entry that is not a client address.
    pub malformed: FailurePolicy,
    /// A chain with fewer entries than the strategy needs, including none.
    pub too_few_entries: FailurePolicy,
    /// A chain in which every entry is a trusted proxy.
    pub all_trusted: FailurePolicy,
}

impl FailurePolicies {
    /// The same policy for every kind of failure.
    pub const fn all(policy: FailurePolicy) -> Self {
        Self {
            malformed: policy,
            too_few_entries: policy,
            all_trusted: policy,
        }
    }

    /// The policy that applies to `kind`. A missing or unusable peer can
    /// only be rejected: there is nothing to fall back to.
    pub fn for_kind(&self, kind: FailureKind) -> FailurePolicy {
        match kind {
            FailureKind::NoPeer => FailurePolicy::Reject,
            FailureKind::TooFewEntries => self.too_few_entries,
            FailureKind::AllTrusted => self.all_trusted,
            FailureKind::Malformed
            | FailureKind::Obfuscated
            | FailureKind::NotAClientAddress
            | FailureKind::TooLarge
            | FailureKind::Ambiguous => self.malformed,
        }
    }
}

/// Why no client address could be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// The request has no socket peer (neither a `SocketAddr` nor axum's
    /// `ConnectInfo<SocketAddr>` extension), or the peer is not a client
    /// address. A deployment mistake, answered with 500.
    NoPeer,
    /// The deciding entry is not an address in an accepted form, or the
    /// chain's structure is broken (an unterminated quoted string).
    Malformed,
    /// The deciding entry is `unknown` or an obfuscated identifier.
    Obfuscated,
    /// The deciding entry is unspecified (`0.0.0.0`, `::`), multicast or the
    /// IPv4 broadcast address.
    NotAClientAddress,
    /// The chain has more entries or bytes than the configured limits.
    TooLarge,
    /// More than one of the configured headers is present.
    Ambiguous,
    /// The chain has fewer entries than the strategy needs (or the header
    /// is missing).
    TooFewEntries,
    /// Every entry in the chain is a trusted proxy.
    AllTrusted,
}

impl FailureKind {
    /// The stable code of the rejection, such as `"client-ip-malformed"`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::NoPeer => "client-ip-no-peer",
            Self::Malformed => "client-ip-malformed",
            Self::Obfuscated => "client-ip-obfuscated",
            Self::NotAClientAddress => "client-ip-not-a-client-address",
            Self::TooLarge => "client-ip-too-large",
            Self::Ambiguous => "client-ip-ambiguous",
            Self::TooFewEntries => "client-ip-too-few-entries",
            Self::AllTrusted => "client-ip-all-trusted",
        }
    }

    pub(crate) const ALL: [Self; 8] = [
        Self::NoPeer,
        Self::Malformed,
        Self::Obfuscated,
        Self::NotAClientAddress,
        Self::TooLarge,
        Self::Ambiguous,
        Self::TooFewEntries,
        Self::AllTrusted,
    ];

    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The rejection answered for this failure: 500 for a missing peer (the
    /// server is wired wrong), 431 for an oversized chain, 400 otherwise.
    /// Titles and details are static; nothing from the request is echoed.
    pub fn rejection(self) -> Rejection {
        let (status, title, detail) = match self {
            Self::NoPeer => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Client address unavailable",
                "The server could not determine the connection's peer address.",
            ),
            Self::TooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Forwarding header too large",
                "The forwarding header has more entries or bytes than this server accepts.",
            ),
            _ => (
                StatusCode::BAD_REQUEST,
                "Invalid forwarding header",
                "The client address could not be determined from the forwarding headers.",
            ),
        };
        Rejection::new(Layer::ClientIp, status, self.code(), title).with_detail(detail)
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A resolution that failed under a [`FailurePolicy::Reject`] policy.
///
/// It carries the kind and, when one entry decided, its hop (from the
/// right, 0 being nearest). It never carries header values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIpError {
    kind: FailureKind,
    hop: Option<usize>,
}

impl ClientIpError {
    pub(crate) const fn new(kind: FailureKind, hop: Option<usize>) -> Self {
        Self { kind, hop }
    }

    /// Why resolution failed.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The position of the entry that failed, counted from the right.
    pub fn hop(&self) -> Option<usize> {
        self.hop
    }

    /// The rejection to answer with; see [`FailureKind::rejection`].
    pub fn rejection(&self) -> Rejection {
        self.kind.rejection()
    }
}

impl fmt::Display for ClientIpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hop {
            Some(hop) => write!(f, "client address not resolved: {} at hop {hop}", self.kind),
            None => write!(f, "client address not resolved: {}", self.kind),
        }
    }
}

impl std::error::Error for ClientIpError {}

/// Bounds on the forwarding chain, so a huge header costs little.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// The most entries the chain (all lines of the header together) may
    /// hold. Default 32; at most [`Limits::MAX_ENTRIES`].
    pub max_entries: usize,
    /// The most bytes the header's lines may hold together. Default 4096.
    pub max_bytes: usize,
}

impl Limits {
    /// The largest accepted `max_entries`.
    pub const MAX_ENTRIES: usize = 64;
    /// The default `max_entries`.
    pub const DEFAULT_MAX_ENTRIES: usize = 32;
    /// The default `max_bytes`.
    pub const DEFAULT_MAX_BYTES: usize = 4096;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: Self::DEFAULT_MAX_ENTRIES,
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }
}
