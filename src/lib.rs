//! rimguard: security middleware for HTTP services, as Tower layers.
//!
//! This is the facade. It re-exports the layer crates, reads one
//! configuration model (`rimguard.toml`, see [`Config`]) and composes the
//! layers into one [`Stack`] in the order that matters, outermost first:
//!
//! 1. client IP ([`core::client_ip`]);
//! 2. audit ([`audit`]), one record per request;
//! 3. HTTPS only and security headers ([`https`], [`headers`]), CORS;
//! 4. per route: IP allowlist ([`ipfilter`]), per-client rate limit
//!    ([`ratelimit`]), API key or webhook signature ([`secrets`]), phone
//!    number ([`phone`]), per-customer rate limit;
//! 5. the service.
//!
//! Every layer also works alone in any Tower stack; the facade's job is the
//! order, the one configuration file, and the per-route policies.
//!
//! # Example
//!
//! A stack from configuration text, in front of a trivial service:
//!
//! ```
//! use bytes::Bytes;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::Full;
//! use rimguard::body::Body;
//! use rimguard::{Config, Stack};
//! use tower::{ServiceExt, service_fn};
//! use tower_layer::Layer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::loader()
//!     .text("rimguard.toml", "[https]\nmode = \"off\"\n")
//!     .env_vars([])
//!     .load()?;
//! let stack = Stack::from_config(&config)?;
//!
//! let app = stack.layer(service_fn(|_req: Request<Body>| async {
//!     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hello"))))
//! }));
//! let mut request = Request::new(Full::new(Bytes::new()));
//! request.extensions_mut().insert(std::net::SocketAddr::from(([127, 0, 0, 1], 50000)));
//! let response = app.oneshot(request).await?;
//!
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(response.headers()["x-content-type-options"], "nosniff");
//! # Ok(())
//! # }
//! ```
//!
//! A configuration mistake is refused with the file, line, column and field:
//!
//! ```
//! use rimguard::Config;
//!
//! let error = Config::loader()
//!     .text("rimguard.toml", "[client_ip]\nstrategy = \"leftmost\"\n")
//!     .env_vars([])
//!     .load()
//!     .unwrap_err();
//! assert_eq!(error.file().unwrap().to_str(), Some("rimguard.toml"));
//! assert_eq!(error.line(), Some(2));
//! assert!(error.field().starts_with("client_ip.strategy"), "{error}");
//! ```
//!
//! # Cargo features
//!
//! | feature | what it adds | default |
//! | --- | --- | --- |
//! | `full` | every feature below | yes |
//! | `client-ip` | the client IP layer (always available through `rimguard-core`) | via `full` |
//! | `headers` | HTTPS-only enforcement, HSTS, OWASP security headers | via `full` |
//! | `cors` | CORS through tower-http's `CorsLayer` | via `full` |
//! | `ipfilter` | CIDR allow and deny lists on routes | via `full` |
//! | `ratelimit` | per-client and per-customer rate limits | via `full` |
//! | `secrets` | API keys, webhook signatures, secrets named by source | via `full` |
//! | `phone` | phone numbers found, validated and normalized on routes | via `full` |
//! | `audit` | audit records, hash-chained file, alerts | via `full` |
//! | `redact` | sensitive headers marked, a redactor for log output | via `full` |
//!
//! Each feature builds alone (CI checks it), so a service pays only for the
//! layers it uses.
//!
//! # Limitations
//!
//! The whole stack costs more than its goal of 2 µs: about 2.9–3.0 µs per
//! request on a trivial handler (thread CPU time), and the demo keeps about
//! 60% of its bare throughput under `wrk` (goal: 85%); see
//! `docs/benchmarks.md` for the figures and the commands. Layers are boxed
//! between each other so that any subset composes from a file; each layer
//! keeps one clone of its service per thread, called in place, so a request
//! touches no reference count shared with other threads.

#[cfg(feature = "audit")]
pub use rimguard_audit as audit;
pub use rimguard_core as core;
#[cfg(feature = "ipfilter")]
pub use rimguard_ipfilter as ipfilter;
#[cfg(feature = "phone")]
pub use rimguard_phone as phone;
#[cfg(feature = "ratelimit")]
pub use rimguard_ratelimit as ratelimit;
#[cfg(feature = "redact")]
pub use rimguard_redact as redact;
#[cfg(feature = "secrets")]
pub use rimguard_secrets as secrets;

pub mod body;
pub mod config;
#[cfg(feature = "cors")]
pub mod cors;
mod from_config;
#[cfg(feature = "headers")]
pub mod headers;
#[cfg(feature = "headers")]
pub mod https;
pub mod stack;

pub use config::Config;
pub use from_config::BuildContext;
pub use stack::{Route, Stack, StackBuilder};

/// The README's examples, compiled as doc tests.
#[cfg(all(doctest, feature = "full"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
