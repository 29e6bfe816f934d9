//! Alerts: what the detector and the sinks raise, and where alerts go.
//!
//! An [`Alert`] goes to an [`AlertSender`], a bounded queue that never
//! blocks (a full queue drops the alert and counts it), and from there a
//! background thread delivers it to every [`AlertSink`]: [`LogAlerts`] (a
//! WARN event on `rimguard::audit`), [`WebhookAlerts`] (a JSON POST with
//! timeout and retries; feature `webhook`), or your own.
//!
//! # Example
//!
//! ```
//! use rimguard_audit::{Alert, AlertKind, Alerts, FnAlerts, LogAlerts};
//!
//! # fn main() -> std::io::Result<()> {
//! let (tx, rx) = std::sync::mpsc::channel();
//! let (alerts, guard) = Alerts::builder()
//!     .sink(LogAlerts::new())
//!     .sink(FnAlerts::new(move |alert: &Alert| { let _ = tx.send(alert.message().to_owned()); }))
//!     .spawn()?;
//!
//! alerts.send(Alert::new(AlertKind::Custom, "my-rule", "client-ip 203.0.113.7", "something odd"));
//! guard.shutdown();
//! assert_eq!(rx.recv().unwrap(), "something odd");
//! # Ok(())
//! # }
//! ```

mod dispatch;
#[cfg(feature = "webhook")]
mod webhook;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

pub use dispatch::{AlertGuard, AlertSender, Alerts, AlertsBuilder};
#[cfg(feature = "webhook")]
pub use webhook::WebhookAlerts;

use crate::request_id::RequestId;
use crate::sink::TARGET;

/// The future an [`AlertSink`] returns.
pub type DeliveryFuture = Pin<Box<dyn Future<Output = Result<(), AlertError>> + Send + 'static>>;

/// What kind of event an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AlertKind {
    /// Too many requests for one identifier in a window.
    TooManyRequests,
    /// Repeated authentication failures from one address.
    AuthFailures,
    /// A request outside business hours.
    OutsideBusinessHours,
    /// One address trying many phone numbers.
    PhoneEnumeration,
    /// An API key used from a network it was not seen on before.
    NewNetwork,
    /// The audit sink failed to write records.
    AuditWriteFailed,
    /// The audit sink's queue was full and records were dropped.
    AuditRecordsDropped,
    /// Verifying the audit file found a changed, removed or reordered record.
    AuditChainBroken,
    /// Raised by user code.
    Custom,
}

impl AlertKind {
    /// The stable kebab-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TooManyRequests => "too-many-requests",
            Self::AuthFailures => "auth-failures",
            Self::OutsideBusinessHours => "outside-business-hours",
            Self::PhoneEnumeration => "phone-enumeration",
            Self::NewNetwork => "new-network",
            Self::AuditWriteFailed => "audit-write-failed",
            Self::AuditRecordsDropped => "audit-records-dropped",
            Self::AuditChainBroken => "audit-chain-broken",
            Self::Custom => "custom",
        }
    }
}

/// One alert.
///
/// Its text holds only what a record may hold: addresses, key ids, masked
/// phone numbers, counts. Serialized as JSON (the webhook body):
/// `{"kind","rule","subject","message","time","request_id"}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Alert {
    kind: AlertKind,
    rule: Arc<str>,
    subject: String,
    message: String,
    time: SystemTime,
    request_id: Option<RequestId>,
}

impl Alert {
    /// An alert of `kind` raised by `rule` about `subject` (such as
    /// `"client-ip 203.0.113.7"`), stamped now.
    pub fn new(
        kind: AlertKind,
        rule: impl Into<Arc<str>>,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            rule: rule.into(),
            subject: subject.into(),
            message: message.into(),
            time: SystemTime::now(),
            request_id: None,
        }
    }

    /// Sets the time (the triggering record's).
    pub fn at(mut self, time: SystemTime) -> Self {
        self.time = time;
        self
    }

    /// Names the request that triggered it.
    pub fn with_request_id(mut self, id: RequestId) -> Self {
        self.request_id = Some(id);
        self
    }

    /// The kind.
    pub fn kind(&self) -> AlertKind {
        self.kind
    }

    /// The name of the rule that raised it.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// Who or what it is about.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// What happened, in a sentence.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// When.
    pub fn time(&self) -> SystemTime {
        self.time
    }

    /// The request that triggered it.
    pub fn request_id(&self) -> Option<&RequestId> {
        self.request_id.as_ref()
    }

    /// The alert as a JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an alert of strings serializes")
    }
}

impl Serialize for Alert {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut s = serializer.serialize_struct("Alert", 6)?;
        s.serialize_field("kind", &self.kind)?;
        s.serialize_field("rule", &*self.rule)?;
        s.serialize_field("subject", &self.subject)?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("time", &crate::time::rfc3339(self.time))?;
        s.serialize_field(
            "request_id",
            &self.request_id.as_ref().map(RequestId::as_str),
        )?;
        s.end()
    }
}

impl fmt::Debug for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alert")
            .field("kind", &self.kind)
            .field("rule", &self.rule)
            .field("subject", &self.subject)
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}: {}",
            self.kind.as_str(),
            self.rule,
            self.subject,
            self.message
        )
    }
}

/// Why an alert could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertError {
    message: String,
}

impl AlertError {
    /// An error with a short message (no secrets).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for AlertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AlertError {}

/// Delivers alerts somewhere.
///
/// Called on the alert thread, never on a request's path. The returned
/// future runs on that thread's Tokio runtime, so it may use Tokio I/O and
/// timers.
pub trait AlertSink: Send + Sync + 'static {
    /// Delivers one alert.
    fn deliver(&self, alert: Arc<Alert>) -> DeliveryFuture;
}

/// Logs each alert as a WARN event on target `rimguard::audit`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogAlerts {
    _priv: (),
}

impl LogAlerts {
    /// The sink.
    pub fn new() -> Self {
        Self::default()
    }
}

impl AlertSink for LogAlerts {
    fn deliver(&self, alert: Arc<Alert>) -> DeliveryFuture {
        tracing::warn!(
            target: TARGET,
            kind = alert.kind.as_str(),
            rule = &*alert.rule,
            subject = %alert.subject,
            request_id = alert.request_id.as_ref().map(RequestId::as_str),
            "{}",
            alert.message
        );
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Calls a function with each alert: the simplest way to plug in your own.
pub struct FnAlerts<F> {
    f: F,
}

impl<F> FnAlerts<F>
where
    F: Fn(&Alert) + Send + Sync + 'static,
{
    /// A sink calling `f`.
    pub fn new(f: F) -> Self {
        Self { f }
    }
}

impl<F> AlertSink for FnAlerts<F>
where
    F: Fn(&Alert) + Send + Sync + 'static,
{
    fn deliver(&self, alert: Arc<Alert>) -> DeliveryFuture {
        (self.f)(&alert);
        Box::pin(std::future::ready(Ok(())))
    }
}

impl<F> fmt::Debug for FnAlerts<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnAlerts(<fn>)")
    }
}
