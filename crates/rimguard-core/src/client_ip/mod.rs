//! One trusted answer to "who is calling".
//!
//! [`ClientIpLayer`] resolves the caller's address once per request and
//! stores it as a [`ClientIp`] in the request extensions, with its
//! provenance: the address, where it came from ([`ClientIpSource`]: the
//! socket peer, which header, which hop) and whether the socket peer was a
//! trusted proxy. Every other rimguard layer reads it from there; none parses
//! forwarding headers again.
//!
//! # Strategies
//!
//! There is no default header: a [`Strategy`] is chosen explicitly.
//!
//! | strategy | the address is | use it when |
//! | --- | --- | --- |
//! | [`Strategy::Peer`] | the socket peer | clients connect directly |
//! | [`Strategy::RightmostUntrusted`] | the rightmost chain entry that is not a trusted proxy, in `Forwarded` and/or `X-Forwarded-For` | you know your proxies' addresses |
//! | [`Strategy::TrustedCount`] | the entry `hops - 1` from the right | you know how many proxies there are, not their addresses |
//! | [`Strategy::Header`] | the one address in `CF-Connecting-IP`, `X-Real-IP`, … | your edge proxy overwrites that header |
//!
//! Forwarding headers count only when the socket peer is in the
//! [`TrustedProxies`] list. From any other peer the answer is the peer
//! itself, whatever the headers say: a client that connects directly cannot
//! forge its address.
//!
//! ## Why the rightmost untrusted entry
//!
//! Each proxy appends the address it received the request from. The
//! entries to the left of the first proxy you control were written by the
//! client and can say anything, so the leftmost entry, which many libraries
//! return, is the one the client chooses. Walking from the right, every
//! entry written by your own proxies is in the trusted list; the first one
//! that is not was written by your outermost proxy about the connection it
//! accepted, and that is the client. Nothing to its left is read.
//!
//! ## Repeated lines, limits, and the deciding entry
//!
//! A header sent on several lines is one chain, the lines in order (as
//! RFC 9110 joins them). The chain is bounded: more than
//! [`Limits::max_entries`] entries or [`Limits::max_bytes`] bytes in all is a
//! [`FailureKind::TooLarge`] failure, decided before any address is parsed.
//! Parsing does not allocate.
//!
//! The entry at the position that decides (the first untrusted one, or the
//! counted one) must be a client address. When it is malformed, empty,
//! `unknown`, obfuscated (`_hidden`), unspecified, multicast or broadcast,
//! resolution fails: it never skips to the next entry, because the next
//! entry to the left is exactly what a client could have written. If a
//! request carries more than one of the configured chain headers, it fails
//! too ([`FailureKind::Ambiguous`]): two chains cannot be merged safely.
//!
//! # Failure policies
//!
//! What happens on failure is the user's choice, per kind
//! ([`FailurePolicies`]), and it must be made for every header strategy:
//!
//! - [`FailurePolicy::Reject`] answers with a [`Rejection`](crate::Rejection)
//!   from [`Layer::ClientIp`](crate::Layer::ClientIp): 400 with a stable
//!   code (`client-ip-malformed`, `client-ip-obfuscated`,
//!   `client-ip-not-a-client-address`, `client-ip-ambiguous`,
//!   `client-ip-too-few-entries`, `client-ip-all-trusted`), 431 for
//!   `client-ip-too-large`. The body never echoes the header.
//! - [`FailurePolicy::Peer`] uses the socket peer instead, with
//!   [`ClientIpSource::Peer`] and [`ClientIp::peer_trusted`] set, so later
//!   layers can tell. Every such request looks like it comes from your
//!   proxy: do not allowlist proxy addresses when you choose it.
//!
//! A request without a socket peer (no [`SocketAddr`](std::net::SocketAddr)
//! and no axum `ConnectInfo<SocketAddr>` extension) is always refused, with
//! 500 and `client-ip-no-peer`: the server is wired wrong, and there is
//! nothing to fall back to.
//!
//! # Canonical addresses
//!
//! - IPv4-mapped IPv6 (`::ffff:10.0.0.5`, in any spelling) becomes IPv4
//!   (`10.0.0.5`), before trust checks and in the answer; `::1` stays `::1`.
//! - Ports and brackets are stripped (`[2001:db8::1]:443`, `1.2.3.4:80`).
//! - **Zone ids are refused**: `fe80::1%eth0` in a header is malformed. A
//!   zone names an interface of the host that wrote it, and two addresses
//!   that differ only by zone would otherwise be one client or two depending
//!   on who reads them. (The socket peer's scope id is dropped, as
//!   [`IpAddr`] has none.)
//! - `0.0.0.0`, `::`, multicast and `255.255.255.255` are not client
//!   addresses (see [`is_client_address`]); loopback and private addresses
//!   are, since internal callers have them.
//!
//! # Forms accepted
//!
//! `X-Forwarded-For` items and single-address headers: `1.2.3.4`,
//! `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:443`, with
//! optional spaces around each item. `Forwarded` (RFC 7239): elements of
//! `;`-separated `name=value` pairs with exactly one `for`, whose node is
//! IPv4 or a quoted, bracketed IPv6 address, with an optional numeric or
//! obfuscated port: `for=192.0.2.60`, `for="[2001:db8::17]:4711"`. Other
//! parameters (`by`, `proto`, `host`) are checked for syntax and ignored.
//!
//! # The socket peer
//!
//! The layer reads it from the request extensions (see [`peer_addr`]): axum's
//! `ConnectInfo<SocketAddr>` with the `axum` feature (serve with
//! `into_make_service_with_connect_info::<SocketAddr>()`), or a plain
//! [`SocketAddr`](std::net::SocketAddr), which a Hyper server inserts itself
//! before calling the service, for example per connection:
//!
//! ```
//! use std::net::SocketAddr;
//!
//! use http::Request;
//! use rimguard_core::client_ip::ClientIpLayer;
//! use tower::{ServiceBuilder, service_fn};
//!
//! // In the accept loop: `let (stream, peer) = listener.accept().await?;`
//! let peer = SocketAddr::from(([192, 0, 2, 7], 51000));
//! let per_connection = ServiceBuilder::new()
//!     .map_request(move |mut request: Request<()>| {
//!         request.extensions_mut().insert(peer);
//!         request
//!     })
//!     .layer(ClientIpLayer::peer_only())
//!     .service(service_fn(|_request: Request<()>| async {
//!         Ok::<_, std::convert::Infallible>(http::Response::new(()))
//!     }));
//! # let _ = per_connection;
//! ```
//!
//! # Example
//!
//! Behind two proxies in `10.0.0.0/8`, reading `X-Forwarded-For`:
//!
//! ```
//! use std::net::SocketAddr;
//!
//! use http::{Request, StatusCode};
//! use rimguard_core::client_ip::{ClientIpLayer, ClientIpSource, FailurePolicy, Strategy};
//! use rimguard_core::{ClientIp, Rejection};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let layer = ClientIpLayer::builder(Strategy::rightmost_x_forwarded_for())
//!     .trusted_proxies(["10.0.0.0/8".parse()?])
//!     .on_failure(FailurePolicy::Reject)
//!     .build()?;
//! let app = ServiceBuilder::new().layer(layer).service(service_fn(|req: Request<()>| async move {
//!     let ip = req.extensions().get::<ClientIp>().expect("the layer stores a ClientIp");
//!     assert_eq!(ip.source(), &ClientIpSource::XForwardedFor { hop: 1 });
//!     let response = http::Response::builder().header("x-client-ip", ip.to_string()).body(())?;
//!     Ok::<_, http::Error>(response)
//! }));
//!
//! // The client forged the first entry; the outer proxy wrote the second.
//! let mut request = Request::new(());
//! request.extensions_mut().insert(SocketAddr::from(([10, 0, 0, 2], 50000)));
//! request.headers_mut().insert("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.1".parse()?);
//! let response = app.clone().oneshot(request).await?;
//! assert_eq!(response.headers()["x-client-ip"], "203.0.113.9");
//!
//! // A malformed deciding entry is refused, not skipped.
//! let mut request = Request::new(());
//! request.extensions_mut().insert(SocketAddr::from(([10, 0, 0, 2], 50000)));
//! request.headers_mut().insert("x-forwarded-for", "203.0.113.9, bogus".parse()?);
//! let response = app.oneshot(request).await?;
//! assert_eq!(response.status(), StatusCode::BAD_REQUEST);
//! let rejection = response.extensions().get::<Rejection>().expect("rejections ride along");
//! assert_eq!(rejection.code(), "client-ip-malformed");
//! # Ok(())
//! # }
//! ```
//!
//! From configuration, see [`ClientIpConfig`]; for the pure function under
//! the layer, see [`ClientIpResolver`].
//!
//! # Limitations
//!
//! - The `Forwarded` node must be an address: a quoted `for` value that uses
//!   backslash escapes is refused, and `by`, `proto` and `host` are not
//!   exposed.
//! - A header line that is not visible ASCII fails in the part that is
//!   read; obs-text is not decoded.
//! - `Strategy::TrustedCount` does not check the entries right of the
//!   counted one: it trusts the count, as its name says.
//! - Rightmost-untrusted reads one header per request; mixed chains (one
//!   proxy writing `Forwarded`, the next `X-Forwarded-For`) are not merged.
//! - With `on_failure = "peer"`, a client can make its own request fail on
//!   purpose (by prepending more entries or bytes than the limits allow) and
//!   be seen as your proxy. Prefer `"reject"` for `on_malformed`.
//! - The entry limit counts commas, which for `Forwarded` is an upper bound:
//!   commas inside quoted values (`host="a,b"`) count too.
//! - The trusted list is fixed when the layer is built; reloading it means
//!   building a new layer. The lookup is linear, meant for tens of ranges,
//!   not thousands (the IP allowlist crate is for that).
//! - The whole-layer cost includes one extension insert, a small
//!   allocation (see docs/benchmarks.md).

use std::fmt;
use std::net::IpAddr;

use http::HeaderName;

mod config;
mod layer;
mod parse;
mod resolver;
mod service;
mod strategy;
mod trusted;

pub use crate::future::ResponseFuture;
pub use config::{ClientIpConfig, StrategyName};
pub use layer::ClientIpLayer;
pub use resolver::{ClientIpBuilder, ClientIpResolver, peer_addr};
pub use service::ClientIpService;
pub use strategy::{
    ClientIpError, FailureKind, FailurePolicies, FailurePolicy, ForwardingHeader, Limits, Strategy,
};
pub use trusted::TrustedProxies;

/// The caller's address, resolved once, with where it came from.
///
/// The address is canonical: an IPv4-mapped IPv6 address (`::ffff:10.0.0.5`)
/// is stored as IPv4 (`10.0.0.5`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientIp {
    addr: IpAddr,
    source: ClientIpSource,
    peer_trusted: bool,
}

/// Where a [`ClientIp`] came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientIpSource {
    /// The socket peer of the connection.
    Peer,
    /// The `Forwarded` header (RFC 7239); `hop` counts from the right, the
    /// entry nearest to this server being hop 0.
    Forwarded {
        /// Position from the right, 0 being the nearest entry.
        hop: usize,
    },
    /// The `X-Forwarded-For` header; `hop` counts from the right as for
    /// [`ClientIpSource::Forwarded`].
    XForwardedFor {
        /// Position from the right, 0 being the nearest entry.
        hop: usize,
    },
    /// A single-address header set by a trusted proxy, such as
    /// `CF-Connecting-IP` or `X-Real-IP`.
    Header(HeaderName),
}

impl ClientIp {
    /// A client address with its provenance. The address is made canonical.
    pub fn new(addr: IpAddr, source: ClientIpSource, peer_trusted: bool) -> Self {
        Self {
            addr: canonical(addr),
            source,
            peer_trusted,
        }
    }

    /// A client address taken from the socket peer of an untrusted connection.
    pub fn from_peer(addr: IpAddr) -> Self {
        Self::new(addr, ClientIpSource::Peer, false)
    }

    /// The canonical address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// Where the address came from.
    pub fn source(&self) -> &ClientIpSource {
        &self.source
    }

    /// Whether the socket peer was a trusted proxy.
    pub fn peer_trusted(&self) -> bool {
        self.peer_trusted
    }
}

impl ClientIpSource {
    /// The hop of a chain entry, counted from the right (0 is the entry
    /// nearest this server); `None` for the peer and single-address headers.
    pub fn hop(&self) -> Option<usize> {
        match self {
            Self::Forwarded { hop } | Self::XForwardedFor { hop } => Some(*hop),
            Self::Peer | Self::Header(_) => None,
        }
    }

    /// Whether the address came from a header rather than the socket.
    pub fn is_header(&self) -> bool {
        !matches!(self, Self::Peer)
    }
}

impl fmt::Display for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.addr, f)
    }
}

/// The canonical form of an address: IPv4-mapped IPv6 becomes IPv4.
///
/// Only the mapped form (`::ffff:a.b.c.d`) is converted; `::1` stays `::1`,
/// and the deprecated IPv4-compatible form (`::a.b.c.d`) stays IPv6.
#[inline]
pub fn canonical(addr: IpAddr) -> IpAddr {
    addr.to_canonical()
}

/// Whether a canonical address can be a client's: not unspecified
/// (`0.0.0.0`, `::`), not multicast (`224.0.0.0/4`, `ff00::/8`), not the
/// IPv4 broadcast address (`255.255.255.255`).
///
/// Loopback, private, link-local and documentation addresses are clients:
/// internal callers have them.
#[inline]
pub fn is_client_address(addr: IpAddr) -> bool {
    let broadcast = matches!(addr, IpAddr::V4(v4) if v4.is_broadcast());
    !(addr.is_unspecified() || addr.is_multicast() || broadcast)
}
