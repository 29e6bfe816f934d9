use std::fmt;
use std::io;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

use tokio::task::JoinSet;

use super::{Alert, AlertSink};
use crate::sink::TARGET;

enum Message {
    Alert(Arc<Alert>),
    Shutdown,
}

/// Starts the alert thread: see [`Alerts::builder`].
#[derive(Debug, Clone, Copy)]
pub struct Alerts {
    _priv: (),
}

impl Alerts {
    /// Starts configuring where alerts go.
    pub fn builder() -> AlertsBuilder {
        AlertsBuilder {
            sinks: Vec::new(),
            capacity: NonZeroUsize::new(1024).expect("1024 is not zero"),
        }
    }
}

/// Configures the alert sinks and queue; see the [module docs](super).
pub struct AlertsBuilder {
    sinks: Vec<Arc<dyn AlertSink>>,
    capacity: NonZeroUsize,
}

impl AlertsBuilder {
    /// Adds a sink.
    pub fn sink(mut self, sink: impl AlertSink) -> Self {
        self.sinks.push(Arc::new(sink));
        self
    }

    /// Adds a shared sink.
    pub fn sink_arc(mut self, sink: Arc<dyn AlertSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Alerts the queue holds before it drops (default 1024).
    pub fn capacity(mut self, capacity: NonZeroUsize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Starts the thread `rimguard-audit-alerts`, which delivers each alert
    /// to every sink at once (on its own single-threaded Tokio runtime).
    ///
    /// # Errors
    ///
    /// When the runtime or the thread cannot be started.
    pub fn spawn(self) -> io::Result<(AlertSender, AlertGuard)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = mpsc::sync_channel(self.capacity.get());
        let counters = Arc::new(AlertCounters::default());
        let worker_counters = counters.clone();
        let sinks = self.sinks;
        let thread = std::thread::Builder::new()
            .name("rimguard-audit-alerts".into())
            .spawn(move || deliver_all(&runtime, &rx, &sinks, &worker_counters))?;

        let sender = AlertSender {
            tx: tx.clone(),
            counters: counters.clone(),
        };
        Ok((
            sender,
            AlertGuard {
                tx,
                counters,
                thread: Some(thread),
            },
        ))
    }
}

impl fmt::Debug for AlertsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertsBuilder")
            .field("sinks", &self.sinks.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

#[derive(Debug, Default)]
struct AlertCounters {
    sent: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

/// Queues alerts for delivery; never blocks. Clones share the queue.
#[derive(Clone)]
pub struct AlertSender {
    tx: SyncSender<Message>,
    counters: Arc<AlertCounters>,
}

impl AlertSender {
    /// Queues `alert`. When the queue is full or stopped, the alert is
    /// logged at WARN on `rimguard::audit` instead and counted in
    /// [`dropped`](Self::dropped).
    pub fn send(&self, alert: Alert) {
        match self.tx.try_send(Message::Alert(Arc::new(alert))) {
            Ok(()) => {
                self.counters.sent.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(Message::Alert(alert)))
            | Err(TrySendError::Disconnected(Message::Alert(alert))) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(target: TARGET, alert = %alert, "alert queue full or stopped; alert not delivered");
            }
            Err(_) => unreachable!("only alerts are sent through an AlertSender"),
        }
    }

    /// Alerts queued so far.
    pub fn sent(&self) -> u64 {
        self.counters.sent.load(Ordering::Relaxed)
    }

    /// Alerts that did not fit the queue.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Deliveries that failed (one per sink and alert).
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for AlertSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertSender")
            .field("counters", &self.counters)
            .finish()
    }
}

/// Stops the alert thread after delivering what is queued, when shut down
/// or dropped.
#[must_use = "dropping the guard stops alert delivery"]
pub struct AlertGuard {
    tx: SyncSender<Message>,
    counters: Arc<AlertCounters>,
    thread: Option<JoinHandle<()>>,
}

impl AlertGuard {
    /// Delivers what is queued (waiting for deliveries in flight, retries
    /// included) and stops the thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    /// Deliveries that failed so far.
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let _ = self.tx.send(Message::Shutdown);
        if thread.join().is_err() {
            tracing::error!(target: TARGET, "the alert thread panicked");
        }
    }
}

impl Drop for AlertGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for AlertGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertGuard")
            .field("counters", &self.counters)
            .finish()
    }
}

fn deliver_all(
    runtime: &tokio::runtime::Runtime,
    rx: &Receiver<Message>,
    sinks: &[Arc<dyn AlertSink>],
    counters: &AlertCounters,
) {
    while let Ok(Message::Alert(alert)) = rx.recv() {
        runtime.block_on(deliver(alert, sinks, counters));
    }
    // Alerts queued behind the shutdown message are delivered too.
    while let Ok(message) = rx.try_recv() {
        if let Message::Alert(alert) = message {
            runtime.block_on(deliver(alert, sinks, counters));
        }
    }
}

async fn deliver(alert: Arc<Alert>, sinks: &[Arc<dyn AlertSink>], counters: &AlertCounters) {
    let mut deliveries = JoinSet::new();
    for sink in sinks {
        deliveries.spawn(sink.deliver(alert.clone()));
    }
    while let Some(result) = deliveries.join_next().await {
        let error = match result {
            Ok(Ok(())) => continue,
            Ok(Err(error)) => error.to_string(),
            Err(join) => format!("alert sink panicked: {join}"),
        };
        counters.failed.fetch_add(1, Ordering::Relaxed);
        tracing::error!(target: TARGET, %error, alert = %alert, "alert delivery failed");
    }
}
