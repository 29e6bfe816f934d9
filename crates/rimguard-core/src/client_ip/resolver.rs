//! The resolution itself: a strategy, trusted ranges, a policy and limits,
//! applied to a peer address and a request's headers.

use std::net::{IpAddr, SocketAddr};

use http::header::{GetAll, HeaderValue};
use http::{Extensions, HeaderMap, HeaderName, Request};
use ipnet::IpNet;

use super::parse::{self, EntryError, SplitUnquoted};
use super::strategy::{
    ClientIpError, FailureKind, FailurePolicies, FailurePolicy, ForwardingHeader, Limits, Strategy,
};
use super::trusted::TrustedProxies;
use super::{ClientIp, ClientIpLayer, ClientIpSource};
use crate::{ConfigError, PreparedRejection};

const TARGET: &str = "rimguard::client_ip";

/// Resolves the client address of a request; what [`ClientIpLayer`] runs.
///
/// Build one with [`ClientIpBuilder`] (or [`ClientIpResolver::peer_only`]).
/// It is the pure function under the layer: given the socket peer and the
/// headers, it answers with a [`ClientIp`] or, when the failure policy says
/// reject, a [`ClientIpError`]. Use it directly outside a Tower stack.
///
/// # Example
///
/// ```
/// use http::HeaderMap;
/// use rimguard_core::client_ip::{ClientIpBuilder, ClientIpSource, FailurePolicy, Strategy};
///
/// let resolver = ClientIpBuilder::new(Strategy::rightmost_x_forwarded_for())
///     .trusted_proxies(["10.0.0.0/8".parse()?])
///     .on_failure(FailurePolicy::Reject)
///     .build_resolver()?;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-forwarded-for", "198.51.100.9, 203.0.113.5, 10.0.0.2".parse()?);
/// let ip = resolver.resolve(Some("10.0.0.1".parse()?), &headers)?;
///
/// assert_eq!(ip.addr().to_string(), "203.0.113.5");
/// assert_eq!(ip.source(), &ClientIpSource::XForwardedFor { hop: 1 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ClientIpResolver {
    strategy: Strategy,
    plan: Plan,
    trusted: TrustedProxies,
    policies: FailurePolicies,
    limits: Limits,
    rejections: Vec<PreparedRejection>,
}

/// The strategy with its header names resolved once.
#[derive(Debug)]
enum Plan {
    Peer,
    Rightmost(Vec<(ForwardingHeader, HeaderName)>),
    Count {
        header: ForwardingHeader,
        name: HeaderName,
        hops: usize,
    },
    Header(HeaderName),
}

/// A failure before the policy is applied.
type Failed = ClientIpError;

/// An address and its provenance, or why there is none.
type Resolved = Result<(IpAddr, ClientIpSource), Failed>;

impl ClientIpResolver {
    /// A resolver that uses the socket peer only.
    pub fn peer_only() -> Self {
        let built = ClientIpBuilder::new(Strategy::Peer).build_resolver();
        built.expect("a peer-only resolver with default limits is a valid configuration")
    }

    /// The chosen strategy.
    pub fn strategy(&self) -> &Strategy {
        &self.strategy
    }

    /// The trusted proxy ranges.
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted
    }

    /// The failure policies.
    pub fn failure_policies(&self) -> FailurePolicies {
        self.policies
    }

    /// The limits on the forwarding chain.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Resolves the client of a request whose socket peer is `peer`.
    ///
    /// Forwarding headers are read only when the peer is a trusted proxy;
    /// otherwise the answer is the peer, whatever the headers say.
    ///
    /// # Errors
    ///
    /// A [`ClientIpError`] when resolution fails and the policy for that
    /// failure is [`FailurePolicy::Reject`], and always when there is no
    /// usable peer.
    pub fn resolve(
        &self,
        peer: Option<IpAddr>,
        headers: &HeaderMap,
    ) -> Result<ClientIp, ClientIpError> {
        let peer = match peer.map(super::canonical) {
            Some(peer) if super::is_client_address(peer) => peer,
            _ => return Err(self.refuse(ClientIpError::new(FailureKind::NoPeer, None))),
        };
        let peer_trusted = self.trusted.contains(peer);
        if !peer_trusted {
            return Ok(ClientIp::new(peer, ClientIpSource::Peer, false));
        }

        let resolved = match &self.plan {
            Plan::Peer => return Ok(ClientIp::new(peer, ClientIpSource::Peer, true)),
            Plan::Rightmost(names) => self.rightmost(headers, names),
            Plan::Count { header, name, hops } => self.counted(headers, *header, name, *hops),
            Plan::Header(name) => self.single_header(headers, name),
        };
        match resolved {
            Ok((addr, source)) => Ok(ClientIp::new(addr, source, true)),
            Err(failed) => self.apply_policy(failed, peer),
        }
    }

    /// Resolves the client of `request`, its peer taken from the request
    /// extensions (see [`peer_addr`]).
    ///
    /// # Errors
    ///
    /// As [`ClientIpResolver::resolve`].
    pub fn resolve_request<B>(&self, request: &Request<B>) -> Result<ClientIp, ClientIpError> {
        self.resolve(peer_addr(request.extensions()), request.headers())
    }

    pub(crate) fn rejection(&self, error: &ClientIpError) -> &PreparedRejection {
        &self.rejections[error.kind().index()]
    }

    fn apply_policy(&self, failed: Failed, peer: IpAddr) -> Result<ClientIp, ClientIpError> {
        match self.policies.for_kind(failed.kind()) {
            FailurePolicy::Reject => Err(self.refuse(failed)),
            FailurePolicy::Peer => {
                tracing::debug!(
                    target: TARGET,
                    code = failed.kind().code(),
                    hop = failed.hop(),
                    "client address not resolved from headers; using the trusted peer"
                );
                Ok(ClientIp::new(peer, ClientIpSource::Peer, true))
            }
        }
    }

    fn refuse(&self, failed: Failed) -> Failed {
        let (code, hop) = (failed.kind().code(), failed.hop());
        match failed.kind() {
            FailureKind::NoPeer | FailureKind::Malformed | FailureKind::NotAClientAddress => {
                tracing::warn!(target: TARGET, code, hop, "request refused: client address not resolved");
            }
            _ => {
                tracing::debug!(target: TARGET, code, hop, "request refused: client address not resolved")
            }
        }
        failed
    }

    fn rightmost(&self, headers: &HeaderMap, names: &[(ForwardingHeader, HeaderName)]) -> Resolved {
        let (header, lines) = select(headers, names)?;
        self.check_size(&lines)?;
        match header {
            ForwardingHeader::XForwardedFor => self.rightmost_xff(&lines),
            ForwardingHeader::Forwarded => self.rightmost_forwarded(&lines),
        }
    }

    fn counted(
        &self,
        headers: &HeaderMap,
        header: ForwardingHeader,
        name: &HeaderName,
        hops: usize,
    ) -> Resolved {
        let lines = headers.get_all(name);
        self.check_size(&lines)?;
        match header {
            ForwardingHeader::XForwardedFor => Self::counted_xff(&lines, hops),
            ForwardingHeader::Forwarded => Self::counted_forwarded(&lines, hops),
        }
    }

    /// Refuses a chain over the byte or entry limits, before any parsing.
    /// Entries are counted by commas: exact for `X-Forwarded-For`, an upper
    /// bound for `Forwarded` (a quoted value may hold a comma).
    fn check_size(&self, lines: &GetAll<'_, HeaderValue>) -> Result<(), Failed> {
        let (mut bytes, mut entries) = (0usize, 0usize);
        for line in lines.iter() {
            bytes += line.len();
            entries += 1 + line.as_bytes().iter().filter(|&&b| b == b',').count();
        }
        if bytes > self.limits.max_bytes || entries > self.limits.max_entries {
            return Err(ClientIpError::new(FailureKind::TooLarge, None));
        }
        Ok(())
    }

    fn rightmost_xff(&self, lines: &GetAll<'_, HeaderValue>) -> Resolved {
        let entries = lines
            .iter()
            .rev()
            .flat_map(|line| line.as_bytes().rsplit(|&b| b == b','));
        for (hop, entry) in entries.enumerate() {
            let addr = parse::xff_entry(entry).map_err(|e| at_hop(e, hop))?;
            if !self.trusted.contains(addr) {
                return Ok((addr, ClientIpSource::XForwardedFor { hop }));
            }
        }
        Err(ClientIpError::new(FailureKind::AllTrusted, None))
    }

    fn rightmost_forwarded(&self, lines: &GetAll<'_, HeaderValue>) -> Resolved {
        let mut buffer = [&[][..]; Limits::MAX_ENTRIES];
        let elements = forwarded_elements(lines, &mut buffer)?;
        for (hop, element) in elements.iter().rev().enumerate() {
            let addr = parse::forwarded_element(element).map_err(|e| at_hop(e, hop))?;
            if !self.trusted.contains(addr) {
                return Ok((addr, ClientIpSource::Forwarded { hop }));
            }
        }
        Err(ClientIpError::new(FailureKind::AllTrusted, None))
    }

    fn counted_xff(lines: &GetAll<'_, HeaderValue>, hops: usize) -> Resolved {
        let hop = hops - 1;
        let mut entries = lines
            .iter()
            .rev()
            .flat_map(|line| line.as_bytes().rsplit(|&b| b == b','));
        let entry = entries
            .nth(hop)
            .ok_or(ClientIpError::new(FailureKind::TooFewEntries, None))?;
        let addr = parse::xff_entry(entry).map_err(|e| at_hop(e, hop))?;
        Ok((addr, ClientIpSource::XForwardedFor { hop }))
    }

    fn counted_forwarded(lines: &GetAll<'_, HeaderValue>, hops: usize) -> Resolved {
        let hop = hops - 1;
        let mut buffer = [&[][..]; Limits::MAX_ENTRIES];
        let elements = forwarded_elements(lines, &mut buffer)?;
        let index = elements.len().checked_sub(hops);
        let element = index.ok_or(ClientIpError::new(FailureKind::TooFewEntries, None))?;
        let addr = parse::forwarded_element(elements[element]).map_err(|e| at_hop(e, hop))?;
        Ok((addr, ClientIpSource::Forwarded { hop }))
    }

    fn single_header(&self, headers: &HeaderMap, name: &HeaderName) -> Resolved {
        let mut lines = headers.get_all(name).iter();
        let line = lines
            .next()
            .ok_or(ClientIpError::new(FailureKind::TooFewEntries, None))?;
        if lines.next().is_some() {
            return Err(ClientIpError::new(FailureKind::Malformed, None));
        }
        if line.len() > self.limits.max_bytes {
            return Err(ClientIpError::new(FailureKind::TooLarge, None));
        }

        let addr = parse::single_address(line.as_bytes()).map_err(|e| at_hop(e, 0))?;
        Ok((addr, ClientIpSource::Header(name.clone())))
    }
}

/// The one configured header present in the request.
fn select<'h>(
    headers: &'h HeaderMap,
    names: &[(ForwardingHeader, HeaderName)],
) -> Result<(ForwardingHeader, GetAll<'h, HeaderValue>), Failed> {
    let mut found = None;
    for (header, name) in names {
        let lines = headers.get_all(name);
        if lines.iter().next().is_none() {
            continue;
        }
        if found.is_some() {
            return Err(ClientIpError::new(FailureKind::Ambiguous, None));
        }
        found = Some((*header, lines));
    }
    found.ok_or(ClientIpError::new(FailureKind::TooFewEntries, None))
}

/// Splits every line of a `Forwarded` header into its elements, in order,
/// into `buffer`. The caller has already bounded the count by commas, which
/// is an upper bound of the element count.
fn forwarded_elements<'h, 'b>(
    lines: &GetAll<'h, HeaderValue>,
    buffer: &'b mut [&'h [u8]; Limits::MAX_ENTRIES],
) -> Result<&'b [&'h [u8]], Failed> {
    let mut len = 0;
    for line in lines.iter() {
        for element in SplitUnquoted::new(line.as_bytes(), b',') {
            let element = element.map_err(|_| ClientIpError::new(FailureKind::Malformed, None))?;
            let slot = buffer
                .get_mut(len)
                .ok_or(ClientIpError::new(FailureKind::TooLarge, None))?;
            *slot = element;
            len += 1;
        }
    }
    Ok(&buffer[..len])
}

fn at_hop(error: EntryError, hop: usize) -> Failed {
    let kind = match error {
        EntryError::Malformed => FailureKind::Malformed,
        EntryError::Obfuscated => FailureKind::Obfuscated,
        EntryError::NotAClient => FailureKind::NotAClientAddress,
    };
    ClientIpError::new(kind, Some(hop))
}

/// The socket peer recorded in `extensions`: axum's
/// `ConnectInfo<SocketAddr>` (with the `axum` feature) or a plain
/// [`SocketAddr`], which a Hyper server inserts itself.
pub fn peer_addr(extensions: &Extensions) -> Option<IpAddr> {
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(addr)) =
        extensions.get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(addr.ip());
    }
    extensions.get::<SocketAddr>().map(SocketAddr::ip)
}

/// Builds a [`ClientIpResolver`] or a [`ClientIpLayer`], refusing
/// configurations that cannot be what the user meant.
///
/// # Example
///
/// ```
/// use rimguard_core::client_ip::{
///     ClientIpBuilder, FailurePolicies, FailurePolicy, ForwardingHeader, Strategy,
/// };
///
/// let layer = ClientIpBuilder::new(Strategy::RightmostUntrusted {
///     headers: vec![ForwardingHeader::Forwarded, ForwardingHeader::XForwardedFor],
/// })
/// .trusted_proxies(["10.0.0.0/8".parse()?, "::1/128".parse()?])
/// .failure_policies(FailurePolicies {
///     too_few_entries: FailurePolicy::Peer,
///     ..FailurePolicies::all(FailurePolicy::Reject)
/// })
/// .max_entries(16)
/// .build()?;
/// # let _ = layer;
///
/// // A header strategy without trusted proxies would ignore every header.
/// let error = ClientIpBuilder::new(Strategy::rightmost_x_forwarded_for())
///     .on_failure(FailurePolicy::Reject)
///     .build()
///     .unwrap_err();
/// assert_eq!(error.field(), "trusted_proxies");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientIpBuilder {
    strategy: Strategy,
    trusted: Vec<IpNet>,
    policies: Option<FailurePolicies>,
    limits: Limits,
}

impl ClientIpBuilder {
    /// Starts from a strategy, no trusted proxies, no failure policy chosen
    /// and the default [`Limits`].
    pub fn new(strategy: Strategy) -> Self {
        Self {
            strategy,
            trusted: Vec::new(),
            policies: None,
            limits: Limits::default(),
        }
    }

    /// Adds trusted proxy ranges.
    pub fn trusted_proxies(mut self, nets: impl IntoIterator<Item = IpNet>) -> Self {
        self.trusted.extend(nets);
        self
    }

    /// One failure policy for every kind of failure.
    pub fn on_failure(self, policy: FailurePolicy) -> Self {
        self.failure_policies(FailurePolicies::all(policy))
    }

    /// A failure policy per kind of failure.
    pub fn failure_policies(mut self, policies: FailurePolicies) -> Self {
        self.policies = Some(policies);
        self
    }

    /// The most entries a chain may hold (default 32, at most 64).
    pub fn max_entries(mut self, max_entries: usize) -> Self {
        self.limits.max_entries = max_entries;
        self
    }

    /// The most bytes a chain may hold (default 4096).
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.limits.max_bytes = max_bytes;
        self
    }

    /// Builds the layer.
    ///
    /// # Errors
    ///
    /// As [`ClientIpBuilder::build_resolver`].
    pub fn build(self) -> Result<ClientIpLayer, ConfigError> {
        self.build_resolver().map(ClientIpLayer::new)
    }

    /// Builds the resolver alone.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the field as in [`super::ClientIpConfig`]:
    /// `trusted_proxies` empty with a header strategy, or a bad range in it
    /// (`trusted_proxies[1]`); `on_failure` not chosen with a header
    /// strategy; `headers` empty or repeated; `trusted_hops` zero or over
    /// `max_entries`; `header` naming a chain header; `max_entries` zero or
    /// over 64; `max_bytes` zero.
    pub fn build_resolver(self) -> Result<ClientIpResolver, ConfigError> {
        check_limits(self.limits)?;
        let trusted = TrustedProxies::new(self.trusted).map_err(|e| e.within("trusted_proxies"))?;
        let plan = plan(&self.strategy, self.limits)?;

        let uses_headers = !matches!(plan, Plan::Peer);
        if uses_headers && trusted.is_empty() {
            return Err(ConfigError::new(
                "trusted_proxies",
                "a header strategy needs at least one trusted proxy range; without one every header is ignored",
            ));
        }
        let policies = match self.policies {
            Some(policies) => policies,
            None if uses_headers => {
                return Err(ConfigError::new(
                    "on_failure",
                    "choose what happens when the address cannot be resolved: \"reject\" or \"peer\"",
                ));
            }
            None => FailurePolicies::all(FailurePolicy::Reject),
        };

        let rejections = FailureKind::ALL
            .iter()
            .map(|kind| kind.rejection().prepare())
            .collect();
        Ok(ClientIpResolver {
            strategy: self.strategy,
            plan,
            trusted,
            policies,
            limits: self.limits,
            rejections,
        })
    }
}

fn check_limits(limits: Limits) -> Result<(), ConfigError> {
    if limits.max_entries == 0 || limits.max_entries > Limits::MAX_ENTRIES {
        let message = format!("must be between 1 and {}", Limits::MAX_ENTRIES);
        return Err(ConfigError::new("max_entries", message));
    }
    if limits.max_bytes == 0 {
        return Err(ConfigError::new("max_bytes", "must be at least 1"));
    }
    Ok(())
}

fn plan(strategy: &Strategy, limits: Limits) -> Result<Plan, ConfigError> {
    match strategy {
        Strategy::Peer => Ok(Plan::Peer),
        Strategy::RightmostUntrusted { headers } => rightmost_plan(headers),
        Strategy::TrustedCount { header, hops } => count_plan(*header, *hops, limits),
        Strategy::Header { name } => header_plan(name),
    }
}

fn rightmost_plan(headers: &[ForwardingHeader]) -> Result<Plan, ConfigError> {
    if headers.is_empty() {
        let message = "list at least one of \"forwarded\", \"x-forwarded-for\"";
        return Err(ConfigError::new("headers", message));
    }
    for (index, header) in headers.iter().enumerate() {
        if headers[..index].contains(header) {
            return Err(ConfigError::new(
                format!("headers[{index}]"),
                "listed twice",
            ));
        }
    }
    Ok(Plan::Rightmost(
        headers.iter().map(|h| (*h, h.header_name())).collect(),
    ))
}

fn count_plan(header: ForwardingHeader, hops: u32, limits: Limits) -> Result<Plan, ConfigError> {
    let hops = usize::try_from(hops).unwrap_or(usize::MAX);
    if hops == 0 {
        let message = "must be at least 1: the socket peer is a hop";
        return Err(ConfigError::new("trusted_hops", message));
    }
    if hops > limits.max_entries {
        return Err(ConfigError::new(
            "trusted_hops",
            "must not exceed max_entries",
        ));
    }
    Ok(Plan::Count {
        header,
        name: header.header_name(),
        hops,
    })
}

fn header_plan(name: &HeaderName) -> Result<Plan, ConfigError> {
    if name == http::header::FORWARDED || name.as_str() == "x-forwarded-for" {
        let message =
            "this header holds a chain; use strategy \"rightmost-untrusted\" or \"trusted-count\"";
        return Err(ConfigError::new("header", message));
    }
    Ok(Plan::Header(name.clone()))
}
