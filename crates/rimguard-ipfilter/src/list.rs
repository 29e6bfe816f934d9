//! A compiled allow/deny list and its builder.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ipnet::IpNet;
use rimguard_core::ConfigError;

use crate::TARGET;
use crate::entry::{HostBits, parse_entry, unmap, v4_bounds, v6_bounds};
use crate::shared::SharedIpList;
use crate::table::{Range, Table};

/// What a range says about the addresses it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Let the request through.
    Allow,
    /// Refuse the request.
    Deny,
}

/// The decision of a list on one address.
///
/// See [`IpList::check`] for the rule that produces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The address may pass.
    Allowed,
    /// The longest range covering the address is a deny range.
    Denied,
    /// No range covers the address, and the list allows only what it names.
    NotListed,
}

impl Verdict {
    /// Whether the request may pass.
    pub fn is_allowed(self) -> bool {
        self == Verdict::Allowed
    }
}

/// An allow/deny list compiled into a lookup table, immutable once built.
///
/// # Matching rule
///
/// 1. Among the ranges (allow or deny) that contain the address, the one
///    with the **longest prefix** decides. `10.0.0.0/8` allowed with
///    `10.6.6.0/24` denied refuses `10.6.6.1` and admits `10.1.1.1`.
/// 2. When the same range is both allowed and denied, **deny** wins.
/// 3. An address no range contains is refused ([`Verdict::NotListed`]) when
///    the list has at least one allow range or no range at all (an empty
///    list fails closed), and let through when the list has deny ranges only
///    (a blocklist).
///
/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are looked up as the
/// IPv4 address they map, and mapped ranges in a list are turned into IPv4
/// ranges when the list is built.
///
/// # Example
///
/// ```
/// use rimguard_ipfilter::{IpList, Verdict};
///
/// let list = IpList::builder()
///     .allow("10.0.0.0/8")
///     .deny("10.6.6.0/24")
///     .allow("2001:db8::/32")
///     .build()?;
///
/// assert_eq!(list.check("10.1.2.3".parse()?), Verdict::Allowed);
/// assert_eq!(list.check("10.6.6.1".parse()?), Verdict::Denied);
/// assert_eq!(list.check("192.0.2.1".parse()?), Verdict::NotListed);
/// assert_eq!(list.check("::ffff:10.1.2.3".parse()?), Verdict::Allowed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct IpList {
    name: Arc<str>,
    v4: Table<u32>,
    v6: Table<u128>,
    ranges: usize,
    has_v4: bool,
    has_v6: bool,
    unlisted: Verdict,
    /// Set once a client of a family the list has no range for was seen,
    /// so that the warning is logged once per loaded list.
    warned_v4: AtomicBool,
    warned_v6: AtomicBool,
}

impl IpList {
    /// A builder for a list. See [`IpListBuilder`].
    pub fn builder() -> IpListBuilder {
        IpListBuilder::default()
    }

    /// Compiles validated ranges. Each range's host bits must be clear.
    pub(crate) fn compile(name: Arc<str>, entries: &[(IpNet, Action)]) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for &(net, action) in entries {
            match net {
                IpNet::V4(net) => {
                    let (first, last) = v4_bounds(net);
                    v4.push(Range {
                        first,
                        last,
                        prefix_len: net.prefix_len(),
                        action,
                    });
                }
                IpNet::V6(net) => {
                    let (first, last) = v6_bounds(net);
                    v6.push(Range {
                        first,
                        last,
                        prefix_len: net.prefix_len(),
                        action,
                    });
                }
            }
        }

        let has_allow = entries.iter().any(|&(_, action)| action == Action::Allow);
        let unlisted = if has_allow || entries.is_empty() {
            Verdict::NotListed
        } else {
            Verdict::Allowed
        };
        Self {
            name,
            has_v4: !v4.is_empty(),
            has_v6: !v6.is_empty(),
            v4: Table::compile(v4),
            v6: Table::compile(v6),
            ranges: entries.len(),
            unlisted,
            warned_v4: AtomicBool::new(false),
            warned_v6: AtomicBool::new(false),
        }
    }

    /// The action of the longest range that contains `addr`, or `None`
    /// when no range does. A tie between an allow and a deny range of the
    /// same prefix is [`Action::Deny`].
    #[inline]
    pub fn lookup(&self, addr: IpAddr) -> Option<Action> {
        let slot = match addr.to_canonical() {
            IpAddr::V4(v4) => self.v4.find(u32::from(v4)),
            IpAddr::V6(v6) => self.v6.find(u128::from(v6)),
        };
        slot.action()
    }

    /// The decision on `addr`, by the [matching rule](Self#matching-rule).
    #[inline]
    pub fn check(&self, addr: IpAddr) -> Verdict {
        match self.lookup(addr) {
            Some(Action::Allow) => Verdict::Allowed,
            Some(Action::Deny) => Verdict::Denied,
            None => self.unlisted,
        }
    }

    /// The name the list was given, used in log events.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many ranges the list was built from (allow and deny, duplicates
    /// counted).
    pub fn len(&self) -> usize {
        self.ranges
    }

    /// Whether the list has no range at all (and so refuses everything).
    pub fn is_empty(&self) -> bool {
        self.ranges == 0
    }

    /// Whether the list has at least one IPv4 range.
    pub fn has_ipv4(&self) -> bool {
        self.has_v4
    }

    /// Whether the list has at least one IPv6 range.
    pub fn has_ipv6(&self) -> bool {
        self.has_v6
    }

    /// How many disjoint intervals the compiled tables hold (IPv4, IPv6).
    pub fn intervals(&self) -> (usize, usize) {
        (self.v4.intervals(), self.v6.intervals())
    }

    /// Logs, once per loaded list, that a client of a family the list has
    /// no range for arrived, and what happens to such clients.
    #[inline]
    pub(crate) fn note_family(&self, addr: IpAddr) {
        let (missing, flag, family) = match addr.to_canonical() {
            IpAddr::V4(_) => (!self.has_v4, &self.warned_v4, "IPv4"),
            IpAddr::V6(_) => (!self.has_v6, &self.warned_v6, "IPv6"),
        };
        if !missing || self.is_empty() || flag.load(Ordering::Relaxed) {
            return;
        }
        self.warn_family(flag, family);
    }

    #[cold]
    #[inline(never)]
    fn warn_family(&self, flag: &AtomicBool, family: &str) {
        if !flag.swap(true, Ordering::Relaxed) {
            let outcome = if self.unlisted.is_allowed() {
                "let through"
            } else {
                "refused"
            };
            tracing::warn!(
                target: TARGET,
                list = &*self.name,
                family,
                outcome,
                "an {family} client reached a list with no {family} range; such clients are {outcome}"
            );
        }
    }
}

impl fmt::Debug for IpList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IpList")
            .field("name", &self.name)
            .field("ranges", &self.ranges)
            .field("intervals", &self.intervals())
            .field("unlisted", &self.unlisted)
            .finish()
    }
}

/// One entry of a builder, kept as given until [`IpListBuilder::build`].
#[derive(Debug, Clone)]
enum Pending {
    Text(String),
    Net(IpNet),
}

/// Builds an [`IpList`] or a reloadable [`SharedIpList`].
///
/// Entries are kept as given and validated by [`build`](Self::build), so
/// the order of the calls does not matter.
///
/// # Example
///
/// ```
/// use rimguard_ipfilter::{HostBits, IpList};
///
/// let list = IpList::builder()
///     .name("office")
///     .on_host_bits(HostBits::Truncate)
///     .allow("203.0.113.7/24") // becomes 203.0.113.0/24, with a warning
///     .allow("198.51.100.20") // a bare address is a /32
///     .build()?;
///
/// assert!(list.check("203.0.113.200".parse()?).is_allowed());
/// assert!(!list.check("198.51.100.21".parse()?).is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct IpListBuilder {
    name: Arc<str>,
    host_bits: HostBits,
    allow: Vec<Pending>,
    deny: Vec<Pending>,
    file: Option<PathBuf>,
}

impl Default for IpListBuilder {
    fn default() -> Self {
        Self {
            name: Arc::from("unnamed"),
            host_bits: HostBits::default(),
            allow: Vec::new(),
            deny: Vec::new(),
            file: None,
        }
    }
}

impl IpListBuilder {
    /// Names the list in log events (default `unnamed`).
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = name.into();
        self
    }

    /// What to do with ranges whose host bits are set (default: refuse).
    pub fn on_host_bits(mut self, host_bits: HostBits) -> Self {
        self.host_bits = host_bits;
        self
    }

    /// Adds an allow entry: a CIDR range or a bare address.
    pub fn allow(mut self, entry: impl Into<String>) -> Self {
        self.allow.push(Pending::Text(entry.into()));
        self
    }

    /// Adds a deny entry: a CIDR range or a bare address.
    pub fn deny(mut self, entry: impl Into<String>) -> Self {
        self.deny.push(Pending::Text(entry.into()));
        self
    }

    /// Adds allow ranges already parsed.
    pub fn allow_nets(mut self, nets: impl IntoIterator<Item = IpNet>) -> Self {
        self.allow.extend(nets.into_iter().map(Pending::Net));
        self
    }

    /// Adds deny ranges already parsed.
    pub fn deny_nets(mut self, nets: impl IntoIterator<Item = IpNet>) -> Self {
        self.deny.extend(nets.into_iter().map(Pending::Net));
        self
    }

    /// Adds the entries of a list file, read when the list is built and
    /// again on each reload. See the [crate docs](crate#list-files) for the
    /// format.
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self
    }

    /// Validates the entries, reads the file if one was given, and compiles
    /// the list.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the entry (`allow[2]`, `deny[0]`) or the
    /// file, line and column that is not a range, has host bits set while
    /// [`HostBits::Refuse`] is in force, or cannot be read.
    pub fn build(self) -> Result<IpList, ConfigError> {
        let inline = self.resolve()?;
        let entries =
            crate::file::with_file(&self.name, inline, self.file.as_deref(), self.host_bits)?;
        Ok(IpList::compile(self.name, &entries))
    }

    /// Like [`build`](Self::build), but returns a handle whose list can be
    /// reloaded from its file and swapped while requests are served.
    ///
    /// # Errors
    ///
    /// As for [`build`](Self::build).
    pub fn build_shared(self) -> Result<SharedIpList, ConfigError> {
        let inline = self.resolve()?;
        SharedIpList::load_new(self.name, inline, self.file, self.host_bits)
    }

    fn resolve(&self) -> Result<Vec<(IpNet, Action)>, ConfigError> {
        let mut out = Vec::with_capacity(self.allow.len() + self.deny.len());
        for (field, pending, action) in [
            ("allow", &self.allow, Action::Allow),
            ("deny", &self.deny, Action::Deny),
        ] {
            for (i, entry) in pending.iter().enumerate() {
                let net = self.resolve_one(entry, &format!("{field}[{i}]"))?;
                out.push((net, action));
            }
        }
        Ok(out)
    }

    fn resolve_one(&self, entry: &Pending, field: &str) -> Result<IpNet, ConfigError> {
        let (net, truncated, text) = match entry {
            Pending::Text(text) => {
                let (net, truncated) = parse_entry(text.trim(), self.host_bits)
                    .map_err(|message| ConfigError::new(field, message))?;
                (net, truncated, text.clone())
            }
            Pending::Net(net) => {
                let text = net.to_string();
                let (net, truncated) = parse_entry(&text, self.host_bits)
                    .map_err(|message| ConfigError::new(field, message))?;
                (unmap(net), truncated, text)
            }
        };
        if truncated {
            warn_truncated(&self.name, field, &text, net);
        }
        Ok(net)
    }
}

/// Logs that an entry's host bits were cleared, naming the entry.
pub(crate) fn warn_truncated(list: &str, origin: &str, entry: &str, net: IpNet) {
    tracing::warn!(
        target: TARGET,
        list,
        origin,
        entry,
        used = %net,
        "list entry has host bits set; they were cleared"
    );
}
