//! Where records go: the [`AuditSink`] trait and its implementations.
//!
//! - [`FileSink`]: a hash-chained JSON Lines file, written by a dedicated
//!   thread behind a bounded queue ([`QueuedSink`]), with rotation;
//! - [`TracingSink`]: one `tracing` event per record on the stable target
//!   `rimguard::audit`, for any subscriber to take;
//! - [`MemorySink`]: records kept in memory, for tests and examples;
//! - [`Fanout`]: several sinks at once;
//! - [`QueuedSink::spawn`] with your own [`RecordWriter`]: your storage,
//!   with the same queue, loss accounting and flush policy as the file.

mod file;
mod queue;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

pub use file::{FileSink, FileSinkBuilder, Rotation};
pub use queue::{
    FlushPolicy, OnFull, QueueOptions, QueuedSink, RecordWriter, SinkGuard, SinkStats,
};

use crate::record::AuditRecord;

/// The stable `tracing` target of audit events and audit alerts.
pub const TARGET: &str = "rimguard::audit";

/// Takes finished records.
///
/// `submit` is called on the request's path, once per request: it must
/// not block except by the backpressure policy its user chose, and should
/// hand the record to another thread for anything costly.
pub trait AuditSink: Send + Sync + 'static {
    /// Takes one record.
    fn submit(&self, record: AuditRecord);

    /// Takes one record that other sinks take too: [`Fanout`] calls this
    /// for every sink but its last. The default clones the record; a sink
    /// that reads only some fields may copy just those.
    fn submit_ref(&self, record: &AuditRecord) {
        self.submit(record.clone());
    }
}

impl<S: AuditSink + ?Sized> AuditSink for Arc<S> {
    fn submit(&self, record: AuditRecord) {
        (**self).submit(record);
    }

    fn submit_ref(&self, record: &AuditRecord) {
        (**self).submit_ref(record);
    }
}

impl<S: AuditSink + ?Sized> AuditSink for Box<S> {
    fn submit(&self, record: AuditRecord) {
        (**self).submit(record);
    }

    fn submit_ref(&self, record: &AuditRecord) {
        (**self).submit_ref(record);
    }
}

/// Sends each record to several sinks.
///
/// # Example
///
/// ```
/// use rimguard_audit::{Fanout, MemorySink, TracingSink};
///
/// let memory = MemorySink::new();
/// let sink = Fanout::new().with(TracingSink::new()).with(memory.clone());
/// # let _ = sink;
/// ```
#[derive(Clone, Default)]
pub struct Fanout {
    sinks: Vec<Arc<dyn AuditSink>>,
}

impl Fanout {
    /// No sinks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a sink.
    pub fn with(mut self, sink: impl AuditSink) -> Self {
        self.sinks.push(Arc::new(sink));
        self
    }

    /// Adds a shared sink.
    pub fn with_arc(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// How many sinks.
    pub fn len(&self) -> usize {
        self.sinks.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }
}

impl AuditSink for Fanout {
    fn submit(&self, record: AuditRecord) {
        let Some((last, rest)) = self.sinks.split_last() else {
            return;
        };
        for sink in rest {
            sink.submit_ref(&record);
        }
        last.submit(record);
    }
}

impl fmt::Debug for Fanout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fanout")
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

/// Keeps records in memory until [`take`](Self::take)n; for tests and
/// examples. Clones share the same records.
#[derive(Clone, Default)]
pub struct MemorySink {
    records: Arc<Mutex<Vec<AuditRecord>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// The records so far, leaving the sink empty.
    pub fn take(&self) -> Vec<AuditRecord> {
        std::mem::take(&mut *self.records.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl AuditSink for MemorySink {
    fn submit(&self, record: AuditRecord) {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
    }
}

impl fmt::Debug for MemorySink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("MemorySink").field("records", &len).finish()
    }
}

/// Emits each record as an INFO event on target `rimguard::audit`.
///
/// The event's fields are the record's: `request_id`, `direction`,
/// `method`, `route`, `target` (masked), `client_ip`, `status`,
/// `latency_us`, `outcome`, `refused_by`, `reason`, `api_key`, `phone`
/// (masked) and `user_agent`. It runs on the request's thread, so its cost
/// is the subscriber's.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink {
    _priv: (),
}

impl TracingSink {
    /// The sink.
    pub fn new() -> Self {
        Self::default()
    }
}

impl AuditSink for TracingSink {
    fn submit(&self, record: AuditRecord) {
        if !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
            return;
        }
        let (refused_by, reason) = match record.outcome() {
            crate::Outcome::Refused { layer, code } => (Some(layer.as_str()), Some(code)),
            _ => (None, None),
        };
        tracing::info!(
            target: TARGET,
            request_id = %record.request_id(),
            direction = record.direction().as_str(),
            method = %record.method(),
            route = record.route(),
            target = %record.masked_target(),
            client_ip = record.client_ip().map(tracing::field::display),
            status = record.status().map(|s| s.as_u16()),
            latency_us = record.latency().as_micros() as u64,
            outcome = record.outcome().as_str(),
            refused_by,
            reason,
            api_key = record.api_key().map(|k| k.as_str()),
            phone = record.phone().map(tracing::field::display),
            user_agent = record.user_agent().as_deref(),
            "audit record"
        );
    }
}
