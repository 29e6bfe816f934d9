//! Audit records for every request, a tamper-evident file, and alerts on
//! suspicious activity.
//!
//! When a key leaks or a customer's data is looked up by someone who
//! should not, the audit trail answers who did what, when, from where and
//! whether it worked, and the detector notices while it happens.
//!
//! - [`AuditLayer`] (outermost, after the client IP layer) makes one
//!   [`AuditRecord`] per request: UTC time, [`RequestId`], client IP,
//!   method, route, path with sensitive query values masked, status,
//!   latency, [`Outcome`] (allowed, or refused by which layer and why, read
//!   from the [`Rejection`](rimguard_core::Rejection) in the response
//!   extensions), API key id, masked phone number and a bounded user agent.
//!   Works for client stacks too ([`AuditLayer::client`]).
//! - Sinks ([`AuditSink`]): [`TracingSink`] (an event on `rimguard::audit`)
//!   and [`FileSink`], a JSON Lines file where each record carries the
//!   SHA-256 of the one before, written by its own thread behind a bounded
//!   queue, rotated by size or day without breaking the chain.
//! - [`verify()`] reports the first record that was changed, removed or
//!   reordered, across rotated files; [`verify_and_alert`] (and
//!   [`FileSinkBuilder::verify_on_open`]) raise an alert when it is broken.
//! - No silent loss: a full queue blocks ([`OnFull::Block`]) or drops and
//!   counts ([`OnFull::DropAndCount`]: counted in [`SinkStats`], written
//!   into the file as a `gap` record, and alerted); a write failure raises
//!   an alert; [`FlushPolicy`] bounds what a crash can lose;
//!   [`SinkGuard::shutdown`] flushes.
//! - [`Detector`] runs [`Rule`]s over the records (too many requests,
//!   repeated auth failures, outside business hours, phone enumeration, a
//!   key from a new network), with a cooldown per alert and bounded memory,
//!   and sends [`Alert`]s to [`AlertSink`]s ([`LogAlerts`],
//!   [`WebhookAlerts`], your own) from a background thread.
//! - [`AuditConfig`] is the `[audit]` section of `rimguard.toml`.
//!
//! # Example
//!
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response, StatusCode};
//! use rimguard_audit::{AuditLayer, FileSink, verify};
//! use rimguard_core::{ClientIp, Layer, Rejection, ResponseBody};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("rimguard.jsonl");
//! let (sink, guard) = FileSink::builder(&path).build()?;
//!
//! let service = ServiceBuilder::new()
//!     .layer(AuditLayer::new(sink))
//!     .service(service_fn(|req: Request<()>| async move {
//!         if req.uri().path() == "/admin" {
//!             let no = Rejection::new(Layer::IpFilter, StatusCode::FORBIDDEN, "ip-denied", "Forbidden");
//!             return Ok::<_, Infallible>(no.into_response::<()>());
//!         }
//!         Ok(Response::new(ResponseBody::inner(())))
//!     }));
//!
//! for path in ["/orders?token=s3cret", "/admin"] {
//!     let mut req = Request::get(path).body(()).unwrap();
//!     req.extensions_mut().insert(ClientIp::from_peer("203.0.113.7".parse().unwrap()));
//!     service.clone().oneshot(req).await.unwrap();
//! }
//! guard.shutdown()?;
//!
//! let text = std::fs::read_to_string(&path)?;
//! assert!(text.contains(r#""target":"/orders?token=***""#));
//! assert!(text.contains(r#""outcome":"refused","refused_by":"ip-filter","reason":"ip-denied""#));
//! assert!(verify(&path)?.is_intact());
//! # Ok(())
//! # }
//! ```
//!
//! # The file
//!
//! One JSON object per line:
//!
//! ```text
//! {"seq":0,"prev":"000…000","time":"2026-12-03T11:43:02.123456Z","event":"request",
//!  "request_id":"…","direction":"inbound","method":"GET","route":"/orders/{id}",
//!  "target":"/orders/42?token=***","client_ip":"203.0.113.7","status":200,
//!  "latency_us":180,"outcome":"allowed","api_key":"bot","phone":"+••••••••0958",
//!  "user_agent":"curl/8.5.0","hash":"…"}
//! ```
//!
//! (one line in the file). `hash` is the SHA-256 of the line's bytes up to
//! `,"hash":`, and `prev` is the previous line's `hash`, across rotated
//! files. A refused request has `"outcome":"refused","refused_by":"<layer>",
//! "reason":"<code>"`. A `{"event":"gap","dropped":N,"failed":M}` line says
//! the writer could not write N + M records just before it.
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `axum` | yes | the route template from axum's `MatchedPath` |
//! | `webhook` | yes | [`WebhookAlerts`], a minimal hyper HTTP/1 client |
//!
//! # Choices
//!
//! - Time zones: `jiff` with its bundled IANA database
//!   (`tzdb-bundle-always`) rather than `chrono-tz`: one well-kept crate
//!   for the time zone arithmetic, DST-correct, a database that does not
//!   depend on the host, and a smaller build than `chrono` plus `chrono-tz`.
//! - Hashing: `sha2` (RustCrypto), which uses the CPU's SHA extensions when
//!   present.
//! - The writer thread and the alert thread are plain OS threads fed by
//!   bounded `std::sync::mpsc` channels, so the sinks work under any
//!   runtime, or none.
//!
//! # Limitations
//!
//! - The chain is unkeyed: someone who can rewrite the files can rewrite
//!   the chain from the edited record on, and removing the newest records
//!   at the end of the active file is only seen by comparing
//!   [`VerifyReport::last_hash`] with a copy kept elsewhere.
//! - [`OnFull::Block`] blocks the calling thread (a Tokio worker, in a
//!   server) while the queue is full; it does not await.
//! - Latency is measured to the response head, not to the end of the body.
//! - The route template is known only when the layer runs inside an axum
//!   `Router` (through `Router::layer`), where `MatchedPath` is set.
//! - Identities found by inner layers reach the record through the
//!   response extensions or the [`AuditContext`] (see [`middleware`]);
//!   a layer that does neither leaves them out.
//! - Webhooks are `http://` only and take no authentication header; the
//!   alert thread delivers one alert at a time (to every sink at once), so
//!   a slow webhook delays the next alerts, and a full alert queue drops
//!   (and logs, and counts) alerts.
//! - Detector windows are fixed, not sliding; business hours are checked
//!   against the local time of each request (an overnight window counts
//!   the day it is on, not the day it opened).

pub mod alert;
mod chain;
pub mod config;
pub mod detect;
mod json;
mod mask;
pub mod middleware;
pub mod record;
mod request_id;
pub mod sink;
mod time;
pub mod verify;

#[cfg(feature = "webhook")]
pub use alert::WebhookAlerts;
pub use alert::{
    Alert, AlertError, AlertGuard, AlertKind, AlertSender, AlertSink, Alerts, AlertsBuilder,
    DeliveryFuture, FnAlerts, LogAlerts,
};
pub use config::{AuditConfig, AuditPipeline};
pub use detect::{BusinessHours, Detector, Identifier, Rule, Weekday};
pub use mask::{DEFAULT_MASKED_PARAMS, MASK, QueryMask};
pub use middleware::{Audit, AuditContext, AuditLayer, CaptureIdentity, CaptureIdentityLayer};
pub use record::{AuditRecord, Direction, NoResponse, Outcome, PendingRecord};
pub use request_id::{MAX_REQUEST_ID_LEN, REQUEST_ID_HEADER, RequestId};
pub use sink::{
    AuditSink, Fanout, FileSink, FileSinkBuilder, FlushPolicy, MemorySink, OnFull, QueueOptions,
    QueuedSink, RecordWriter, Rotation, SinkGuard, SinkStats, TARGET, TracingSink,
};
pub use verify::{Problem, ProblemKind, VerifyReport, verify, verify_and_alert, verify_files};
