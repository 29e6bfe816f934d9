//! What a request is counted against: its key.
//!
//! A [`KeyExtractor`] looks at a request ([`RequestView`]) and writes the
//! key into a [`KeyWriter`], which hashes it at once: the limiter never
//! stores, logs or prints a raw key, only a keyed 64-bit hash of it.
//!
//! The extractors here cover the usual keys:
//!
//! | extractor | key |
//! | --- | --- |
//! | [`ClientIpKey`] | the [`ClientIp`] that the client IP layer resolved, IPv6 grouped by prefix (/64 by default) |
//! | [`HeaderKey`] | the value of one request header |
//! | [`ApiKeyIdKey`] | the [`ApiKeyId`] that the API key layer stored |
//! | [`PhoneKey`] | the [`CallerPhone`] that the phone layer stored |
//! | [`GlobalKey`] | one key for every request |
//! | [`RouteAnd`] | the route (axum's `MatchedPath`, else the path) paired with another key |
//! | [`key_fn`] | your own closure |
//!
//! # Example
//!
//! A key of your own, from a closure:
//!
//! ```
//! use rimguard_ratelimit::{key_fn, RequestView};
//!
//! let by_tenant = key_fn(|request: &RequestView<'_>| {
//!     request.headers().get("x-tenant").map(|v| v.as_bytes().to_vec())
//! });
//! # let _ = by_tenant;
//! ```

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;

use foldhash::quality::SeedableRandomState;
use http::{Extensions, HeaderMap, HeaderName, Method, Request, Uri};
use rimguard_core::{ApiKeyId, CallerPhone, ClientIp, ConfigError};

/// The parts of a request that a key extractor may read.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    extensions: &'a Extensions,
}

impl<'a> RequestView<'a> {
    /// A view of `request`.
    pub fn new<B>(request: &'a Request<B>) -> Self {
        Self {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
            extensions: request.extensions(),
        }
    }

    /// The request method.
    pub fn method(&self) -> &'a Method {
        self.method
    }

    /// The request URI.
    pub fn uri(&self) -> &'a Uri {
        self.uri
    }

    /// The request headers.
    pub fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    /// The request extensions, where earlier layers leave [`ClientIp`],
    /// [`ApiKeyId`] and [`CallerPhone`].
    pub fn extensions(&self) -> &'a Extensions {
        self.extensions
    }

    /// The route: axum's `MatchedPath` when there is one (with the `axum`
    /// feature), else the URI path.
    pub fn route(&self) -> &'a str {
        #[cfg(feature = "axum")]
        if let Some(matched) = self.extensions.get::<axum::extract::MatchedPath>() {
            return matched.as_str();
        }
        self.uri.path()
    }
}

/// The key could not be extracted from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingKey;

impl fmt::Display for MissingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request carries no rate limit key")
    }
}

impl std::error::Error for MissingKey {}

/// Finds a request's key and writes it into a [`KeyWriter`].
///
/// Implement it for a key of your own, or use [`key_fn`] with a closure.
pub trait KeyExtractor: Send + Sync + 'static {
    /// Writes the key of `request` into `key`.
    ///
    /// # Errors
    ///
    /// [`MissingKey`] when the request has no key; the layer then does what
    /// its [`OnMissingKey`](crate::OnMissingKey) says.
    fn extract(&self, request: &RequestView<'_>, key: &mut KeyWriter<'_>)
    -> Result<(), MissingKey>;

    /// A short name of the kind of key, for logs: `"client-ip"`, `"phone"`.
    fn kind(&self) -> &'static str;
}

/// Hashes a key as an extractor writes it.
///
/// The hash is keyed: with a random seed for the in-memory limiter, with a
/// seed shared by every instance for Redis. An extractor writes the
/// *identity* (what exemptions match) and may add a *scope* (the route of a
/// route-and-key pair) that separates the buckets of one identity.
pub struct KeyWriter<'a> {
    identity: foldhash::quality::FoldHasher<'static>,
    scope: Option<u64>,
    hashing: &'a Hashing,
}

impl<'a> KeyWriter<'a> {
    #[inline]
    pub(crate) fn new(hashing: &'a Hashing) -> Self {
        Self {
            identity: hashing.state.build_hasher(),
            scope: None,
            hashing,
        }
    }

    /// Adds bytes to the key.
    #[inline]
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        self.identity.write(bytes);
        self.identity.write_u8(0xff);
    }

    /// Adds an address to the key.
    #[inline]
    pub fn write_ip(&mut self, addr: IpAddr) {
        match addr {
            IpAddr::V4(v4) => self.identity.write_u32(u32::from(v4)),
            IpAddr::V6(v6) => self.identity.write_u128(u128::from(v6)),
        }
    }

    /// Adds a scope that keeps this identity's buckets apart from the same
    /// identity's buckets in another scope (a route, a tenant).
    pub fn write_scope(&mut self, scope: &[u8]) {
        let mut hasher = self.hashing.state.build_hasher();
        hasher.write_u64(self.scope.unwrap_or(0));
        hasher.write(scope);
        self.scope = Some(hasher.finish());
    }

    /// The identity hash (what exemptions compare) and the bucket hash.
    #[inline]
    pub(crate) fn finish(self) -> (u64, u64) {
        let identity = self.identity.finish();
        let bucket = match self.scope {
            None => identity,
            Some(scope) => {
                let mut hasher = self.hashing.state.build_hasher();
                hasher.write_u64(scope);
                hasher.write_u64(identity);
                hasher.finish()
            }
        };
        (identity, bucket.max(1))
    }
}

impl fmt::Debug for KeyWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyWriter").finish_non_exhaustive()
    }
}

/// The keyed hash a limiter uses: random per process unless a seed is set.
#[derive(Clone)]
pub(crate) struct Hashing {
    state: SeedableRandomState,
}

impl Hashing {
    pub(crate) fn random() -> Self {
        Self {
            state: SeedableRandomState::random(),
        }
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn seeded(seed: u64) -> Self {
        Self {
            state: SeedableRandomState::with_seed(seed, foldhash::SharedSeed::global_fixed()),
        }
    }

    /// The identity hash of a literal key, as [`KeyWriter::write_bytes`]
    /// would make it.
    pub(crate) fn literal(&self, key: &[u8]) -> u64 {
        let mut writer = KeyWriter::new(self);
        writer.write_bytes(key);
        writer.finish().0
    }
}

impl fmt::Debug for Hashing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hashing(<keyed>)")
    }
}

/// The client address from [`ClientIp`], IPv6 grouped by prefix.
///
/// One IPv6 host usually owns a whole /64; counting each address on its
/// own would let it mint fresh buckets at will. The default groups IPv6 by
/// /64 and keeps IPv4 addresses whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIpKey {
    v4_prefix: u8,
    v6_prefix: u8,
}

impl ClientIpKey {
    /// IPv4 whole (/32), IPv6 by /64.
    pub const fn new() -> Self {
        Self {
            v4_prefix: 32,
            v6_prefix: 64,
        }
    }

    /// Groups IPv6 addresses by `prefix` bits.
    ///
    /// # Errors
    ///
    /// Refuses a prefix longer than 128.
    pub fn ipv6_prefix(mut self, prefix: u8) -> Result<Self, ConfigError> {
        if prefix > 128 {
            return Err(ConfigError::new("ipv6_prefix", "must be between 0 and 128"));
        }
        self.v6_prefix = prefix;
        Ok(self)
    }

    /// Groups IPv4 addresses by `prefix` bits.
    ///
    /// # Errors
    ///
    /// Refuses a prefix longer than 32.
    pub fn ipv4_prefix(mut self, prefix: u8) -> Result<Self, ConfigError> {
        if prefix > 32 {
            return Err(ConfigError::new("ipv4_prefix", "must be between 0 and 32"));
        }
        self.v4_prefix = prefix;
        Ok(self)
    }

    /// The address with the host bits beyond the prefix cleared.
    #[inline]
    pub fn group(&self, addr: IpAddr) -> IpAddr {
        match addr.to_canonical() {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.v4_prefix))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(v4) & mask).into())
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.v6_prefix))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        }
    }
}

impl Default for ClientIpKey {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyExtractor for ClientIpKey {
    fn extract(
        &self,
        request: &RequestView<'_>,
        key: &mut KeyWriter<'_>,
    ) -> Result<(), MissingKey> {
        let ip = request.extensions().get::<ClientIp>().ok_or(MissingKey)?;
        key.write_ip(self.group(ip.addr()));
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "client-ip"
    }
}

/// The value of one request header. A request without it has no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderKey {
    name: HeaderName,
}

impl HeaderKey {
    /// Keys on header `name`.
    pub fn new(name: HeaderName) -> Self {
        Self { name }
    }
}

impl KeyExtractor for HeaderKey {
    fn extract(
        &self,
        request: &RequestView<'_>,
        key: &mut KeyWriter<'_>,
    ) -> Result<(), MissingKey> {
        let value = request.headers().get(&self.name).ok_or(MissingKey)?;
        key.write_bytes(value.as_bytes());
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "header"
    }
}

/// The [`ApiKeyId`] that the API key layer stored in the extensions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiKeyIdKey;

impl KeyExtractor for ApiKeyIdKey {
    fn extract(
        &self,
        request: &RequestView<'_>,
        key: &mut KeyWriter<'_>,
    ) -> Result<(), MissingKey> {
        let id = request.extensions().get::<ApiKeyId>().ok_or(MissingKey)?;
        key.write_bytes(id.as_str().as_bytes());
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "api-key"
    }
}

/// The normalized [`CallerPhone`] that the phone layer stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhoneKey;

impl KeyExtractor for PhoneKey {
    fn extract(
        &self,
        request: &RequestView<'_>,
        key: &mut KeyWriter<'_>,
    ) -> Result<(), MissingKey> {
        let phone = request
            .extensions()
            .get::<CallerPhone>()
            .ok_or(MissingKey)?;
        key.write_bytes(phone.as_e164().as_bytes());
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "phone"
    }
}

/// One key for every request: a quota for the whole service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GlobalKey;

impl KeyExtractor for GlobalKey {
    fn extract(&self, _: &RequestView<'_>, key: &mut KeyWriter<'_>) -> Result<(), MissingKey> {
        key.write_bytes(b"");
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "global"
    }
}

/// Another key, counted separately on each route.
///
/// The route is axum's `MatchedPath` (`/orders/{id}`) with the `axum`
/// feature and when the router set it, else the URI path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteAnd<K>(pub K);

impl<K: KeyExtractor> KeyExtractor for RouteAnd<K> {
    fn extract(
        &self,
        request: &RequestView<'_>,
        key: &mut KeyWriter<'_>,
    ) -> Result<(), MissingKey> {
        self.0.extract(request, key)?;
        key.write_scope(request.route().as_bytes());
        Ok(())
    }

    fn kind(&self) -> &'static str {
        self.0.kind()
    }
}

/// A key extractor from a closure that returns the key's bytes, or `None`
/// when the request has no key.
///
/// See the [module docs](self) for an example.
pub fn key_fn<F, K>(f: F) -> KeyFn<F>
where
    F: Fn(&RequestView<'_>) -> Option<K> + Send + Sync + 'static,
    K: AsRef<[u8]>,
{
    KeyFn(f)
}

/// A key extractor made by [`key_fn`].
#[derive(Clone, Copy)]
pub struct KeyFn<F>(F);

impl<F> fmt::Debug for KeyFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyFn(<fn>)")
    }
}

impl<F, K> KeyExtractor for KeyFn<F>
where
    F: Fn(&RequestView<'_>) -> Option<K> + Send + Sync + 'static,
    K: AsRef<[u8]>,
{
    fn extract(
        &self,
        request: &RequestView<'_>,
        key: &mut KeyWriter<'_>,
    ) -> Result<(), MissingKey> {
        let value = (self.0)(request).ok_or(MissingKey)?;
        key.write_bytes(value.as_ref());
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "custom"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(extractor: &dyn KeyExtractor, request: &Request<()>) -> Option<u64> {
        let hashing = Hashing::seeded(7);
        let mut writer = KeyWriter::new(&hashing);
        extractor
            .extract(&RequestView::new(request), &mut writer)
            .ok()?;
        Some(writer.finish().1)
    }

    fn from_ip(ip: &str) -> Request<()> {
        let mut request = Request::new(());
        request
            .extensions_mut()
            .insert(ClientIp::from_peer(ip.parse().unwrap()));
        request
    }

    #[test]
    fn ipv6_addresses_in_one_slash_64_share_a_key() {
        let key = ClientIpKey::new();
        let a = hash_of(&key, &from_ip("2001:db8:1:2::1"));
        let b = hash_of(&key, &from_ip("2001:db8:1:2:ffff::9"));
        let c = hash_of(&key, &from_ip("2001:db8:1:3::1"));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn ipv4_addresses_stay_whole_by_default() {
        let key = ClientIpKey::new();
        assert_ne!(
            hash_of(&key, &from_ip("192.0.2.1")),
            hash_of(&key, &from_ip("192.0.2.2"))
        );
        let by_24 = ClientIpKey::new().ipv4_prefix(24).unwrap();
        assert_eq!(
            hash_of(&by_24, &from_ip("192.0.2.1")),
            hash_of(&by_24, &from_ip("192.0.2.2"))
        );
    }

    #[test]
    fn prefixes_beyond_the_address_length_are_refused() {
        assert_eq!(
            ClientIpKey::new().ipv6_prefix(129).unwrap_err().field(),
            "ipv6_prefix"
        );
        assert!(ClientIpKey::new().ipv4_prefix(33).is_err());
        assert_eq!(
            ClientIpKey::new()
                .ipv6_prefix(0)
                .unwrap()
                .group("2001:db8::1".parse().unwrap()),
            "::".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_request_without_the_key_has_none() {
        let request = Request::new(());
        assert_eq!(hash_of(&ClientIpKey::new(), &request), None);
        assert_eq!(hash_of(&PhoneKey, &request), None);
        assert_eq!(hash_of(&ApiKeyIdKey, &request), None);
        assert_eq!(
            hash_of(
                &HeaderKey::new(HeaderName::from_static("x-tenant")),
                &request
            ),
            None
        );
        assert!(hash_of(&GlobalKey, &request).is_some());
    }

    #[test]
    fn the_same_key_on_two_routes_is_two_buckets() {
        let mut orders = Request::builder().uri("/orders").body(()).unwrap();
        orders.extensions_mut().insert(ApiKeyId::new("bot"));
        let mut payments = Request::builder().uri("/payments").body(()).unwrap();
        payments.extensions_mut().insert(ApiKeyId::new("bot"));

        let by_route = RouteAnd(ApiKeyIdKey);
        assert_ne!(hash_of(&by_route, &orders), hash_of(&by_route, &payments));
        assert_eq!(
            hash_of(&ApiKeyIdKey, &orders),
            hash_of(&ApiKeyIdKey, &payments)
        );
    }

    #[test]
    fn a_seeded_hash_is_the_same_in_every_instance() {
        assert_eq!(
            Hashing::seeded(42).literal(b"bot"),
            Hashing::seeded(42).literal(b"bot")
        );
        assert_ne!(
            Hashing::seeded(42).literal(b"bot"),
            Hashing::seeded(43).literal(b"bot")
        );
    }
}
