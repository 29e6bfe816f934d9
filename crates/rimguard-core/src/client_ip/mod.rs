//! One trusted answer to "who is calling".
//!
//! [`ClientIp`] is the caller's address as the client IP layer resolved it,
//! with its provenance: where it came from and whether the socket peer was a
//! trusted proxy. Every other rimguard layer reads it from the request
//! extensions; none parses forwarding headers again.

use std::fmt;
use std::net::IpAddr;

use http::HeaderName;

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
        Self { addr: canonical(addr), source, peer_trusted }
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

impl fmt::Display for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.addr, f)
    }
}

/// The canonical form of an address: IPv4-mapped IPv6 becomes IPv4.
///
/// Only the mapped form (`::ffff:a.b.c.d`) is converted; `::1` stays `::1`.
pub fn canonical(addr: IpAddr) -> IpAddr {
    addr.to_canonical()
}
