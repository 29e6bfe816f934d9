//! The audit record: who did what, when, from where, and how it ended.
//!
//! A record is made in two steps that mirror a request: a
//! [`PendingRecord`] when the request arrives (time, id, method, target) and
//! an [`AuditRecord`] when it ends ([`PendingRecord::finish`] with status,
//! latency and outcome, or [`PendingRecord::finish_without_response`]). The
//! required fields are arguments of those two functions, so no record can
//! exist without them.
//!
//! Building a record copies reference-counted handles only (the URI, the
//! user agent header, identities); masking and serialization happen later,
//! in the writer thread.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use http::{Method, StatusCode, Uri};
//! use rimguard_audit::{Outcome, PendingRecord, RequestId};
//!
//! let uri: Uri = "/orders?token=s3cret".parse().unwrap();
//! let record = PendingRecord::new(SystemTime::now(), RequestId::generate(), Method::GET, uri)
//!     .finish(StatusCode::OK, Duration::from_micros(250), Outcome::Allowed);
//!
//! assert_eq!(record.masked_target(), "/orders?token=***");
//! assert!(record.to_json().contains(r#""outcome":"allowed""#));
//! ```

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::header::HeaderValue;
use http::{Method, StatusCode, Uri};
use rimguard_core::{ApiKeyId, CallerPhone, Layer, MaskedPhone, Rejection};

use crate::json;
use crate::mask::QueryMask;
use crate::request_id::RequestId;

/// The longest user agent a record keeps, in bytes, unless configured.
pub const DEFAULT_USER_AGENT_MAX: usize = 256;

/// Whether a record is of a request this service received or one it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// A request received by this service (a server stack).
    Inbound,
    /// A request this service sent to an upstream API (a client stack).
    Outbound,
}

impl Direction {
    /// `"inbound"` or `"outbound"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

/// How a request ended, as far as rimguard is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Every rimguard layer let it through; the status is the service's.
    Allowed,
    /// A rimguard layer refused it with a [`Rejection`].
    Refused {
        /// The layer that refused.
        layer: Layer,
        /// The rejection's stable code, such as `"rate-limited"`.
        code: &'static str,
    },
    /// The inner service failed with an error instead of a response.
    Error,
    /// The request was dropped (the caller went away) before a response.
    Cancelled,
}

impl Outcome {
    /// The outcome a response carries: refused when its extensions hold a
    /// [`Rejection`], allowed otherwise.
    pub fn of_response(extensions: &http::Extensions) -> Self {
        extensions
            .get::<Rejection>()
            .map_or(Self::Allowed, Self::from)
    }

    /// `"allowed"`, `"refused"`, `"error"` or `"cancelled"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Refused { .. } => "refused",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether an authentication layer (API key or webhook signature) refused.
    pub fn is_auth_failure(self) -> bool {
        matches!(
            self,
            Self::Refused {
                layer: Layer::ApiKey | Layer::WebhookSignature,
                ..
            }
        )
    }
}

impl From<&Rejection> for Outcome {
    fn from(rejection: &Rejection) -> Self {
        Self::Refused {
            layer: rejection.layer(),
            code: rejection.code(),
        }
    }
}

/// Why there was no response: the two ways a request can end without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoResponse {
    /// The inner service returned an error.
    Error,
    /// The response future was dropped before it completed.
    Cancelled,
}

/// The route template of a request, such as `/orders/{id}`.
#[derive(Clone)]
pub(crate) enum Route {
    Shared(Arc<str>),
    #[cfg(feature = "axum")]
    Axum(axum::extract::MatchedPath),
}

impl Route {
    fn as_str(&self) -> &str {
        match self {
            Self::Shared(route) => route,
            #[cfg(feature = "axum")]
            Self::Axum(path) => path.as_str(),
        }
    }
}

/// The first half of a record, made when the request arrives.
///
/// See the [module docs](self).
#[derive(Clone)]
pub struct PendingRecord {
    time: SystemTime,
    request_id: RequestId,
    direction: Direction,
    method: Method,
    uri: Uri,
    mask: Option<Arc<QueryMask>>,
    route: Option<Route>,
    client_ip: Option<IpAddr>,
    api_key: Option<ApiKeyId>,
    phone: Option<CallerPhone>,
    user_agent: Option<HeaderValue>,
}

impl PendingRecord {
    /// A request received at `time` (UTC) with its id, method and target.
    ///
    /// The query is masked with [`QueryMask::default`] unless
    /// [`mask`](Self::mask) sets another.
    pub fn new(time: SystemTime, request_id: RequestId, method: Method, uri: Uri) -> Self {
        Self {
            time,
            request_id,
            direction: Direction::Inbound,
            method,
            uri,
            mask: None,
            route: None,
            client_ip: None,
            api_key: None,
            phone: None,
            user_agent: None,
        }
    }

    /// Marks the record inbound or outbound.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// The query parameters to mask.
    pub fn mask(mut self, mask: Arc<QueryMask>) -> Self {
        self.mask = Some(mask);
        self
    }

    /// The route template, such as `/orders/{id}`.
    pub fn route(mut self, route: impl Into<Arc<str>>) -> Self {
        self.route = Some(Route::Shared(route.into()));
        self
    }

    #[cfg(feature = "axum")]
    pub(crate) fn matched_path(mut self, path: axum::extract::MatchedPath) -> Self {
        self.route = Some(Route::Axum(path));
        self
    }

    /// The caller's address.
    pub fn client_ip(mut self, addr: IpAddr) -> Self {
        self.client_ip = Some(addr);
        self
    }

    /// The API key that authenticated the request.
    pub fn api_key(mut self, key: ApiKeyId) -> Self {
        self.api_key = Some(key);
        self
    }

    /// The caller's phone number; records keep only its masked form.
    pub fn phone(mut self, phone: CallerPhone) -> Self {
        self.phone = Some(phone);
        self
    }

    /// The user agent, cut to `max` bytes.
    pub fn user_agent(mut self, value: &HeaderValue, max: usize) -> Self {
        let bytes = value.as_bytes();
        self.user_agent = if bytes.len() <= max {
            Some(value.clone())
        } else {
            HeaderValue::from_bytes(&bytes[..max]).ok()
        };
        self
    }

    /// The request id.
    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// The complete record of a request that got a response.
    pub fn finish(self, status: StatusCode, latency: Duration, outcome: Outcome) -> AuditRecord {
        AuditRecord {
            pending: self,
            status: Some(status),
            latency,
            outcome,
        }
    }

    /// The complete record of a request that ended without a response.
    pub fn finish_without_response(self, latency: Duration, why: NoResponse) -> AuditRecord {
        let outcome = match why {
            NoResponse::Error => Outcome::Error,
            NoResponse::Cancelled => Outcome::Cancelled,
        };
        AuditRecord {
            pending: self,
            status: None,
            latency,
            outcome,
        }
    }
}

impl fmt::Debug for PendingRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingRecord")
            .field("request_id", &self.request_id)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// One complete audit record.
///
/// See the [module docs](self). Its accessors never expose what a record
/// must not hold: the query comes masked and the phone number masked.
#[derive(Clone)]
pub struct AuditRecord {
    pending: PendingRecord,
    status: Option<StatusCode>,
    latency: Duration,
    outcome: Outcome,
}

impl AuditRecord {
    /// A copy with only what the [`Detector`](crate::Detector)'s rules
    /// read (time, id, direction, method, client IP, API key, phone,
    /// status, latency, outcome): the target, route, query mask and user
    /// agent are left out, so the copy shares no buffer with the request.
    pub(crate) fn for_detection(&self) -> Self {
        let p = &self.pending;
        Self {
            pending: PendingRecord {
                time: p.time,
                request_id: p.request_id,
                direction: p.direction,
                method: p.method.clone(),
                uri: Uri::from_static("/"),
                mask: None,
                route: None,
                client_ip: p.client_ip,
                api_key: p.api_key.clone(),
                phone: p.phone.clone(),
                user_agent: None,
            },
            status: self.status,
            latency: self.latency,
            outcome: self.outcome,
        }
    }

    /// When the request arrived (UTC).
    pub fn time(&self) -> SystemTime {
        self.pending.time
    }

    /// The request id.
    pub fn request_id(&self) -> &RequestId {
        &self.pending.request_id
    }

    /// Inbound or outbound.
    pub fn direction(&self) -> Direction {
        self.pending.direction
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.pending.method
    }

    /// The route template, when the router reported one.
    pub fn route(&self) -> Option<&str> {
        self.pending.route.as_ref().map(Route::as_str)
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.pending.uri.path()
    }

    /// The upstream host of an outbound request, when its URI names one.
    pub fn host(&self) -> Option<&str> {
        self.pending.uri.host()
    }

    /// The path and query, with sensitive query values masked.
    pub fn masked_target(&self) -> String {
        let mut out = Vec::new();
        self.write_masked_target(&mut out);
        String::from_utf8(out).expect("masking keeps UTF-8 input UTF-8")
    }

    pub(crate) fn write_masked_target(&self, out: &mut Vec<u8>) {
        let target = self
            .pending
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str());
        match &self.pending.mask {
            Some(mask) => mask.write(out, target),
            None => default_mask().write(out, target),
        }
    }

    /// The caller's address, when the client IP layer resolved one.
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.pending.client_ip
    }

    /// The response status; `None` when the request ended without one.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// From arrival to the response head.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// Allowed, refused (by which layer and why), error or cancelled.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The API key id that authenticated the request.
    pub fn api_key(&self) -> Option<&ApiKeyId> {
        self.pending.api_key.as_ref()
    }

    /// The caller's phone number, masked.
    pub fn phone(&self) -> Option<MaskedPhone<'_>> {
        self.pending.phone.as_ref().map(CallerPhone::masked)
    }

    /// The full phone number, for keyed hashing by the detector only.
    pub(crate) fn phone_e164(&self) -> Option<&str> {
        self.pending.phone.as_ref().map(CallerPhone::as_e164)
    }

    /// The user agent, bounded in length; invalid UTF-8 is replaced.
    pub fn user_agent(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.pending
            .user_agent
            .as_ref()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
    }

    /// The record as one JSON object (without the file sink's chain fields).
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(384);
        out.push(b'{');
        json::write_record_fields(&mut out, self);
        out.push(b'}');
        String::from_utf8(out).expect("records serialize to UTF-8")
    }
}

fn default_mask() -> &'static QueryMask {
    static DEFAULT: std::sync::OnceLock<QueryMask> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(QueryMask::default)
}

impl fmt::Debug for AuditRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditRecord")
            .field("request_id", &self.pending.request_id)
            .field("method", &self.pending.method)
            .field("target", &self.masked_target())
            .field("client_ip", &self.pending.client_ip)
            .field("status", &self.status)
            .field("outcome", &self.outcome)
            .field("api_key", &self.pending.api_key)
            .field("phone", &self.phone())
            .finish_non_exhaustive()
    }
}
