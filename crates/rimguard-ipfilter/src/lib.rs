//! CIDR allow and deny lists for Tower and axum, in a compiled table that
//! stays fast from ten to a million ranges and reloads without a restart.
//!
//! [`IpFilterLayer`] decides on the [`ClientIp`](rimguard_core::ClientIp)
//! that the client IP layer of `rimguard-core` put in the request
//! extensions; it never reads forwarding headers itself. A request the list
//! admits goes to the inner service untouched; any other is answered by the
//! layer.
//!
//! # Example
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use rimguard_core::ClientIp;
//! use rimguard_ipfilter::{IpFilterLayer, IpList};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let office = IpList::builder()
//!     .name("office")
//!     .allow("203.0.113.0/24")
//!     .allow("2001:db8:1::/48")
//!     .deny("203.0.113.66") // the guest Wi-Fi gateway
//!     .build()?;
//!
//! let service = ServiceBuilder::new()
//!     .layer(IpFilterLayer::new(office))
//!     .service(service_fn(|_req: Request<String>| async {
//!         Ok::<_, Infallible>(Response::new(String::from("admin")))
//!     }));
//!
//! let from = |ip: &str| {
//!     let mut request = Request::new(String::new());
//!     request.extensions_mut().insert(ClientIp::from_peer(ip.parse().unwrap()));
//!     request
//! };
//! let ok = service.clone().oneshot(from("203.0.113.10")).await?;
//! assert_eq!(ok.status(), StatusCode::OK);
//! let denied = service.clone().oneshot(from("203.0.113.66")).await?;
//! assert_eq!(denied.status(), StatusCode::FORBIDDEN);
//! let elsewhere = service.oneshot(from("192.0.2.1")).await?;
//! assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
//! # Ok(())
//! # }
//! ```
//!
//! # Decisions
//!
//! - **Matching**: the longest prefix that contains the address decides,
//!   whether it is an allow or a deny range; when one range is both allowed
//!   and denied, deny wins. An address no range contains is refused when
//!   the list has any allow range (an allowlist) or no range at all (an
//!   empty list fails closed), and admitted when the list has only deny
//!   ranges (a blocklist). See [`IpList`](IpList#matching-rule).
//! - **Entries**: a bare address means `/32` or `/128`. A range with host
//!   bits set (`10.0.0.1/8`) is refused by default, or truncated with a
//!   warning naming it ([`HostBits`]).
//! - **Families**: IPv4 ranges match IPv4-mapped IPv6 clients
//!   (`::ffff:203.0.113.10`), and mapped ranges are read as IPv4. A list
//!   with ranges of one family only logs one warning, per loaded list, the
//!   first time a client of the other family arrives.
//! - **Fail closed**: a request without a `ClientIp` in its extensions is
//!   refused with its own reason, `client-ip-unknown`, and a WARN event.
//!
//! # Refusals and logs
//!
//! A refusal is `403 Forbidden` (or `404 Not Found` with
//! [`RefusalStatus::NotFound`], to hide the endpoint) with an
//! `application/problem+json` body built by [`rimguard_core::Rejection`]:
//! code `ip-denied` (a deny range matched), `ip-not-allowed` (no allow range
//! matched) or `client-ip-unknown`. The body never contains the address.
//! In 404 mode the body is a generic not-found problem that names neither
//! the filter nor the reason; the typed [`Rejection`](rimguard_core::Rejection)
//! in the response extensions still does, for the audit layer.
//!
//! Each refusal is one event on target `rimguard::ipfilter`, with fields
//! `list`, `code`, `status` and `dry_run`: DEBUG for an ordinary refusal,
//! WARN for a missing client IP. The address is not logged (it is personal
//! data); the audit layer records it. In dry-run mode
//! ([`IpFilterLayer::dry_run`]) the request passes and the event is INFO,
//! "would be refused".
//!
//! # Per-route lists and named lists
//!
//! A layer guards whatever it wraps, so per-route lists are plain Tower and
//! axum layering: `Router::route_layer`, or `.layer` on a sub-router.
//! [`IpListRegistry`] holds named lists (`office`, `webhook-providers`) that
//! routes refer to, built from `[ip_lists.<name>]` tables
//! ([`IpListConfig`]).
//!
//! ```
//! use axum::{Router, routing::get};
//! use rimguard_ipfilter::{IpFilterLayer, IpList, IpListRegistry};
//!
//! # fn main() -> Result<(), rimguard_core::ConfigError> {
//! let mut lists = IpListRegistry::new();
//! let office = IpList::builder().name("office").allow("203.0.113.0/24").build()?;
//! let providers = IpList::builder().name("webhook-providers").allow("198.51.100.0/24").build()?;
//! lists.insert("office", IpFilterLayer::new(office));
//! lists.insert("webhook-providers", IpFilterLayer::new(providers));
//!
//! let admin = Router::new()
//!     .route("/admin/orders", get(|| async { "orders" }))
//!     .route_layer(lists.layer("office")?);
//! let webhooks = Router::new()
//!     .route("/webhooks/whatsapp", get(|| async { "ok" }))
//!     .layer(lists.layer("webhook-providers")?);
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "public" }))
//!     .merge(admin)
//!     .merge(webhooks);
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! # Reloading
//!
//! A [`SharedIpList`] is a list that can be swapped while requests are
//! served. [`SharedIpList::reload`] re-reads its file; a [`ListWatcher`]
//! does so when the file changes. The new list is parsed, validated and
//! compiled on the reloading thread, then replaces the old one in one
//! atomic pointer swap (`arc-swap`): a request is decided against the old
//! list or the new one, never a half-loaded mix. A bad file changes
//! nothing: the old list stays, the error (with file, line and column) is
//! logged at WARN and counted ([`SharedIpList::reload_failures`]).
//! [`SharedIpList::reloads`] counts the swaps and
//! [`SharedIpList::last_reload`] tells when the last one happened, for
//! metrics.
//!
//! ## List files
//!
//! One entry per line; `#` starts a comment; blank lines are ignored. An
//! entry is a range or a bare address, allowed unless the line starts with
//! `deny`:
//!
//! ```text
//! # office.txt
//! 203.0.113.0/24          # main site
//! allow 2001:db8:1::/48
//! deny 203.0.113.66       # guest Wi-Fi
//! ```
//!
//! # The lookup table
//!
//! A list is compiled once per load: for each family, the ranges are
//! flattened into sorted, disjoint intervals that cover the whole address
//! space, each carrying the verdict of its longest covering prefix
//! (`u32` keys for IPv4, `u128` for IPv6). A lookup is a predecessor search
//! over the interval starts. A first-level index (built for tables of 8
//! intervals or more, with one to two buckets per interval, on the bits
//! that follow the prefix all ranges share) narrows it to a few intervals,
//! then a short binary search finds the one holding the address. An IPv6
//! start is stored as two 64-bit halves in two arrays. The search reads the
//! high halves only, and a low half only to tell apart starts of the same
//! high half. That is usually one step back (a /128 and the address after
//! it); a longer run, such as many hosts of one /64, is binary-searched.
//! The verdicts sit in their own array of one byte per interval, small
//! enough to stay in cache when the starts do not.
//!
//! At 100,000 ranges that is an index read and a short search within one or
//! two cache lines, where a prefix trie (`prefix-trie`) follows a pointer
//! per level; docs/benchmarks.md has the figures. The cost is the build:
//! a sort, `O(n log n)`, and memory: 5 bytes per IPv4 interval, 17 per IPv6
//! interval, plus about 4 to 8 bytes per interval of index (a list of n ranges
//! has at most 2n + 1 intervals).
//!
//! # Dependencies
//!
//! `ipnet` for ranges (it is what `rimguard-core` uses), `arc-swap` for the
//! lock-free swap (readers never block, not even during a reload), and a
//! polling watcher on a plain thread rather than `notify`: see
//! [`ListWatcher`] for why.
//!
//! # Limitations
//!
//! - The watcher polls (default every 2 s): a change is seen after one to
//!   two intervals, not at once. Publish a list by writing it beside the old
//!   one and renaming it over; a change made in place is loaded once it has
//!   settled, and a read during a write is detected and retried.
//! - A file is read and compiled whole on each change; a list of a million
//!   ranges takes a fraction of a second of one core to reload.
//! - Ranges are CIDR prefixes; arbitrary `first-last` address ranges are not
//!   accepted in lists.
//! - Large tables are bound by memory. The IPv6 search reads 8 bytes per
//!   interval start, so 100,000 IPv6 ranges put some 1.6 MB on its path.
//!   In the benches, where consecutive lookups overlap, an IPv6 hit takes
//!   about 12 ns there and 25 ns at a million ranges. A lone lookup on a
//!   cold cache waits on two or three cache misses.
//! - The layer adds about 24 to 28 ns to an allowed request over a bare
//!   service, against 4 to 5 ns for the lookup itself. About 11 ns of that
//!   is the `arc-swap` guard that makes reloads lock-free. An
//!   `arc_swap::Cache` in the service would remove most of that where one
//!   service serves many requests. It is not used, because axum clones the
//!   route's service for every request: each request would then increment
//!   and decrement a reference count shared by every core.
//! - Tracing is not behind a feature: events are always compiled in, and
//!   cost a disabled-callsite check when no subscriber listens.
//! - IPv6 ranges shorter than `/96` that cover the mapped space
//!   (`::/0`, `::/64`) do not match IPv4 clients: a mapped client is looked
//!   up as IPv4.

mod config;
mod entry;
mod file;
pub mod filter;
mod list;
mod registry;
mod shared;
mod table;

pub use config::IpListConfig;
pub use entry::HostBits;
pub use filter::{IpFilter, IpFilterLayer, RefusalStatus};
pub use list::{Action, IpList, IpListBuilder, Verdict};
pub use registry::IpListRegistry;
pub use shared::{ListWatcher, SharedIpList};

/// The tracing target of every event this crate logs.
pub(crate) const TARGET: &str = "rimguard::ipfilter";
