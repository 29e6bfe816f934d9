//! A bounded queue in front of a dedicated writer thread, with a loss
//! policy, a flush policy and an account of every record.

use std::fmt;
use std::io;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant, SystemTime};

use super::{AuditSink, TARGET};
use crate::alert::{Alert, AlertKind, AlertSender};
use crate::record::AuditRecord;

/// How many queued records the writer takes in one go before it flushes.
const BURST: u32 = 512;

/// How long the writer lingers after a burst under
/// [`FlushPolicy::EveryRecord`] before it sleeps until the next record:
/// records arriving meanwhile are taken together when it looks again, so a
/// busy queue costs about one wake-up per linger, not one per record.
const LINGER: Duration = Duration::from_micros(200);

/// Records queued while the writer lingers that wake it at once.
const LINGER_RECORDS: u64 = 64;

/// The longest a submitter waits for room before it looks again.
const ROOM_WAIT: Duration = Duration::from_millis(1);

/// The longest the writer sleeps without being woken.
const LONG_SLEEP: Duration = Duration::from_millis(100);

/// How often at most a failing or dropping sink raises an alert.
const ALERT_COOLDOWN: Duration = Duration::from_secs(60);

/// What `submit` does when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnFull {
    /// Wait for room: the request waits for the disk, no record is lost.
    /// `submit` blocks the calling thread while the queue is full.
    #[default]
    Block,
    /// Drop the record and count it. The count is in
    /// [`SinkStats::dropped`], in a `gap` record written into the sink's
    /// output when it has room again, and in an alert.
    DropAndCount,
}

/// When the writer hands buffered records to the operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FlushPolicy {
    /// As soon as the writer has taken what is queued (at most 512
    /// records): a record is never held back waiting for more once the
    /// writer has it. After each burst the writer lingers 200 µs (or until
    /// 64 records are queued) before it sleeps, so a record that arrives
    /// meanwhile waits at most that long to be taken.
    #[default]
    EveryRecord,
    /// When `max_records` are buffered or the oldest buffered record is
    /// `max_delay` old, whichever comes first: a crash loses at most that.
    /// The writer thread also wakes about once per batch instead of once
    /// per record, which is what makes this the policy for busy services.
    Batch {
        /// Most records held before a flush.
        max_records: NonZeroU32,
        /// Longest a record is held before a flush.
        max_delay: Duration,
    },
}

/// Queue size, full-queue policy and flush policy of a [`QueuedSink`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueOptions {
    /// Records the queue holds (default 8192).
    pub capacity: NonZeroUsize,
    /// What to do when it is full (default [`OnFull::Block`]).
    pub on_full: OnFull,
    /// When to flush (default [`FlushPolicy::EveryRecord`]).
    pub flush: FlushPolicy,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            capacity: NonZeroUsize::new(8192).expect("8192 is not zero"),
            on_full: OnFull::Block,
            flush: FlushPolicy::EveryRecord,
        }
    }
}

/// Storage behind a [`QueuedSink`]: called on the writer thread only.
///
/// # Errors
///
/// An error from [`write_record`](Self::write_record) or
/// [`flush`](Self::flush) means that every record since the last
/// successful flush was lost; the writer must have discarded them (so that
/// they are not written later, out of order). The queue counts them as
/// failed and raises an alert.
pub trait RecordWriter: Send + 'static {
    /// Writes (or buffers) one record.
    fn write_record(&mut self, record: &AuditRecord) -> io::Result<()>;

    /// Writes a marker saying that `dropped` records were refused by a full
    /// queue and `failed` records were lost to write errors just before
    /// this point. The default writes nothing.
    fn write_gap(&mut self, time: SystemTime, dropped: u64, failed: u64) -> io::Result<()> {
        let _ = (time, dropped, failed);
        Ok(())
    }

    /// Hands everything buffered to the storage.
    fn flush(&mut self) -> io::Result<()>;

    /// Whether what is buffered must be flushed before a record stamped
    /// `time` is written, such as before a rotation; the queue then flushes
    /// first, so that it counts what was written. The default: never.
    fn flush_before(&self, time: SystemTime) -> bool {
        let _ = time;
        false
    }
}

/// Counters of a [`QueuedSink`]; every submitted record is in exactly one
/// of `written`, `dropped`, `failed` or still queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SinkStats {
    /// Records taken into the queue.
    pub accepted: u64,
    /// Records written and flushed.
    pub written: u64,
    /// Records refused because the queue was full or closed.
    pub dropped: u64,
    /// Records lost to write or flush errors.
    pub failed: u64,
    /// Write or flush errors seen.
    pub write_errors: u64,
}

impl SinkStats {
    /// Records that will never be written.
    pub fn lost(&self) -> u64 {
        self.dropped + self.failed
    }
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    write_errors: AtomicU64,
    /// Dropped records not yet reported in a gap marker.
    unreported_drops: AtomicU64,
    closed_warned: AtomicBool,
}

/// The writer is working: submitters never wake it.
const AWAKE: u8 = 0;
/// The writer holds a batch and sleeps until it falls due: submitters wake
/// it only when the queue holds a whole batch.
const DOZING: u8 = 1;
/// The writer holds nothing and sleeps: the first record wakes it.
const ASLEEP: u8 = 2;

/// How a submitter wakes the writer: only when it sleeps, and while it
/// dozes over a batch only when a whole batch is queued, so that a busy
/// queue costs the request threads no system call and the writer about
/// one wake-up per batch.
struct Wake {
    state: AtomicU8,
    /// Records in a whole batch (at most half the queue).
    batch: u64,
    /// Records that end the writer's linger (at most half the queue).
    linger_batch: u64,
    /// Records queued while the writer dozes that complete its batch.
    wake_at: AtomicU64,
    /// Records the writer has taken off the queue (written by it only);
    /// with `Counters::accepted`, how many are queued.
    taken: AtomicU64,
    writer: OnceLock<Thread>,
    /// Submitters waiting for room in a full queue, and where they wait:
    /// the writer wakes them once per burst it takes, not once per record.
    waiting: AtomicUsize,
    room: Mutex<()>,
    room_made: Condvar,
}

impl Wake {
    fn new(options: &QueueOptions) -> Self {
        let batch = match options.flush {
            FlushPolicy::EveryRecord => 1,
            FlushPolicy::Batch { max_records, .. } => u64::from(max_records.get()),
        };
        // A half-full queue always wakes the writer, whatever the batch.
        let half = u64::try_from(options.capacity.get() / 2).unwrap_or(u64::MAX);
        Self {
            state: AtomicU8::new(AWAKE),
            batch: batch.min(half).max(1),
            linger_batch: LINGER_RECORDS.min(half).max(1),
            wake_at: AtomicU64::new(1),
            taken: AtomicU64::new(0),
            writer: OnceLock::new(),
            waiting: AtomicUsize::new(0),
            room: Mutex::new(()),
            room_made: Condvar::new(),
        }
    }

    /// Called after a record went into the queue; `accepted` counts it.
    fn after_record(&self, accepted: u64) {
        // Pairs with the fence in `Worker::sleep`: either the writer sees
        // the record, or this sees the state it went to sleep in.
        fence(Ordering::SeqCst);
        match self.state.load(Ordering::Relaxed) {
            AWAKE => {}
            DOZING => {
                let queued = accepted.saturating_sub(self.taken.load(Ordering::Relaxed));
                if queued >= self.wake_at.load(Ordering::Relaxed) {
                    self.wake();
                }
            }
            _ => self.wake(),
        }
    }

    /// Called after a flush or shutdown message went into the queue.
    fn after_command(&self) {
        fence(Ordering::SeqCst);
        if self.state.load(Ordering::Relaxed) != AWAKE {
            self.wake();
        }
    }

    fn wake(&self) {
        // One submitter pays the system call; the others see `AWAKE`.
        if self.state.swap(AWAKE, Ordering::Relaxed) != AWAKE
            && let Some(writer) = self.writer.get()
        {
            writer.unpark();
        }
    }

    /// Sends `message`, waiting while the queue is full; `Err` when the
    /// writer has stopped.
    fn send_waiting(&self, tx: &SyncSender<Message>, mut message: Message) -> Result<(), ()> {
        loop {
            match tx.try_send(message) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(_)) => return Err(()),
                Err(TrySendError::Full(back)) => message = back,
            }
            let guard = self.room.lock().unwrap_or_else(PoisonError::into_inner);
            self.waiting.fetch_add(1, Ordering::SeqCst);
            // Tried again under the lock: the writer's wake-up, taken under
            // the same lock, cannot fall between this try and the wait.
            match tx.try_send(message) {
                Ok(()) => {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Ok(());
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(());
                }
                Err(TrySendError::Full(back)) => {
                    message = back;
                    // The timeout only bounds a wake-up lost to a stopped writer.
                    let _ = self.room_made.wait_timeout(guard, ROOM_WAIT);
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
    }

    /// Wakes the submitters waiting for room, if any.
    fn room_made(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            let _guard = self.room.lock().unwrap_or_else(PoisonError::into_inner);
            self.room_made.notify_all();
        }
    }
}

// Records travel by value: a box would cost an allocation on the request's
// thread and a free on the writer's, for every request.
#[allow(clippy::large_enum_variant)]
enum Message {
    Record(AuditRecord),
    Flush(SyncSender<io::Result<()>>),
    Shutdown,
}

/// An [`AuditSink`] that queues records for a [`RecordWriter`] on its own
/// thread. Clones share the queue.
///
/// Made by [`FileSink::builder`](super::FileSink::builder) or
/// [`QueuedSink::spawn`]; the [`SinkGuard`] that comes with it flushes and
/// stops the writer.
#[derive(Clone)]
pub struct QueuedSink {
    tx: SyncSender<Message>,
    counters: Arc<Counters>,
    wake: Arc<Wake>,
    on_full: OnFull,
}

/// Flushes and stops a [`QueuedSink`]'s writer thread when shut down or
/// dropped.
#[must_use = "dropping the guard stops the writer"]
pub struct SinkGuard {
    tx: SyncSender<Message>,
    counters: Arc<Counters>,
    wake: Arc<Wake>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl QueuedSink {
    /// Starts a writer thread named `rimguard-audit-<name>` for `writer`.
    ///
    /// `alerts`, when given, receives an alert on write failures and on
    /// dropped records (at most one a minute of each, with counts).
    ///
    /// # Errors
    ///
    /// When the thread cannot be started.
    pub fn spawn(
        name: &str,
        writer: impl RecordWriter,
        options: QueueOptions,
        alerts: Option<AlertSender>,
    ) -> io::Result<(Self, SinkGuard)> {
        let (tx, rx) = mpsc::sync_channel(options.capacity.get());
        let counters = Arc::new(Counters::default());
        let worker = Worker::new(
            Box::new(writer),
            rx,
            counters.clone(),
            options.flush,
            alerts,
        );
        let wake = Arc::new(Wake::new(&options));
        let worker_wake = wake.clone();
        let thread = std::thread::Builder::new()
            .name(format!("rimguard-audit-{name}"))
            .spawn(move || worker.run(&worker_wake))?;
        let _ = wake.writer.set(thread.thread().clone());

        let sink = Self {
            tx: tx.clone(),
            counters: counters.clone(),
            wake: wake.clone(),
            on_full: options.on_full,
        };
        let guard = SinkGuard {
            tx,
            counters,
            wake,
            thread: Some(thread),
        };
        Ok((sink, guard))
    }

    /// The counters so far.
    pub fn stats(&self) -> SinkStats {
        self.counters.snapshot()
    }

    /// Waits until every record submitted before this call is written and
    /// flushed (or counted as failed).
    ///
    /// # Errors
    ///
    /// The flush error, or `BrokenPipe` when the writer has stopped.
    pub fn flush(&self) -> io::Result<()> {
        let (ack, done) = mpsc::sync_channel(1);
        let stopped = || io::Error::new(io::ErrorKind::BrokenPipe, "the audit writer has stopped");
        self.tx.send(Message::Flush(ack)).map_err(|_| stopped())?;
        self.wake.after_command();
        done.recv().map_err(|_| stopped())?
    }

    fn refused(&self, closed: bool) {
        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        if closed {
            if !self.counters.closed_warned.swap(true, Ordering::Relaxed) {
                tracing::error!(target: TARGET, "audit record dropped: the writer has stopped");
            }
        } else {
            self.counters
                .unreported_drops
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl AuditSink for QueuedSink {
    fn submit(&self, record: AuditRecord) {
        let message = Message::Record(record);
        let sent = match self.on_full {
            OnFull::Block => self.wake.send_waiting(&self.tx, message).map_err(|()| true),
            OnFull::DropAndCount => self.tx.try_send(message).map_err(|error| match error {
                TrySendError::Full(_) => false,
                TrySendError::Disconnected(_) => true,
            }),
        };
        match sent {
            Ok(()) => {
                let accepted = self.counters.accepted.fetch_add(1, Ordering::Relaxed) + 1;
                self.wake.after_record(accepted);
            }
            Err(closed) => self.refused(closed),
        }
    }
}

impl SinkGuard {
    /// Writes what is queued, flushes, and stops the writer thread.
    ///
    /// # Errors
    ///
    /// The last write or flush error of the writer, if the final flush
    /// failed.
    pub fn shutdown(mut self) -> io::Result<SinkStats> {
        self.stop()?;
        Ok(self.counters.snapshot())
    }

    /// The counters so far.
    pub fn stats(&self) -> SinkStats {
        self.counters.snapshot()
    }

    fn stop(&mut self) -> io::Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        // A full queue makes this wait for room, which is what a clean
        // shutdown means: everything before it gets written.
        let _ = self.tx.send(Message::Shutdown);
        self.wake.after_command();
        match thread.join() {
            Ok(result) => result,
            Err(_) => Err(io::Error::other("the audit writer thread panicked")),
        }
    }
}

impl Drop for SinkGuard {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::error!(target: TARGET, %error, "audit sink failed its final flush");
        }
    }
}

impl Counters {
    fn snapshot(&self) -> SinkStats {
        SinkStats {
            accepted: self.accepted.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            write_errors: self.write_errors.load(Ordering::Relaxed),
        }
    }
}

struct Worker {
    writer: Box<dyn RecordWriter>,
    rx: Receiver<Message>,
    counters: Arc<Counters>,
    flush: FlushPolicy,
    alerts: Option<AlertSender>,
    /// Records taken off the queue so far.
    taken: u64,
    /// Whether the writer just took a burst and lingers before sleeping.
    linger: bool,
    /// Records written since the last successful flush.
    unflushed: u64,
    oldest_unflushed: Option<Instant>,
    /// Records lost to errors and not yet reported in a gap marker.
    unreported_failures: u64,
    /// The counts of gap markers written since the last successful flush:
    /// if that flush fails, they are reported again.
    gaps_unflushed: (u64, u64),
    last_error: Option<io::ErrorKind>,
    last_failure_alert: Option<Instant>,
    last_drop_alert: Option<Instant>,
    drops_since_alert: u64,
}

impl Worker {
    fn new(
        writer: Box<dyn RecordWriter>,
        rx: Receiver<Message>,
        counters: Arc<Counters>,
        flush: FlushPolicy,
        alerts: Option<AlertSender>,
    ) -> Self {
        Self {
            writer,
            rx,
            counters,
            flush,
            alerts,
            taken: 0,
            linger: false,
            unflushed: 0,
            oldest_unflushed: None,
            unreported_failures: 0,
            gaps_unflushed: (0, 0),
            last_error: None,
            last_failure_alert: None,
            last_drop_alert: None,
            drops_since_alert: 0,
        }
    }

    fn run(mut self, wake: &Wake) -> io::Result<()> {
        while let Some(message) = self.next_message(wake) {
            if !self.handle(message) {
                break;
            }
            let mut taken = 1;
            while taken < BURST {
                let Ok(message) = self.rx.try_recv() else {
                    break;
                };
                if !self.handle(message) {
                    return self.finish();
                }
                taken += 1;
            }
            wake.taken.store(self.taken, Ordering::Relaxed);
            wake.room_made();
            if self.flush == FlushPolicy::EveryRecord {
                self.flush_now();
                self.linger = true;
            } else if self.batch_due() {
                self.flush_now();
            }
        }
        self.finish()
    }

    /// The next message, sleeping while the queue is empty (and flushing a
    /// batch that falls due meanwhile). `None` when every sender is gone.
    fn next_message(&mut self, wake: &Wake) -> Option<Message> {
        loop {
            match self.rx.try_recv() {
                Ok(message) => return Some(message),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => {}
            }
            if self.batch_due() {
                self.flush_now();
            }
            if let Some(message) = self.sleep(wake) {
                return Some(message);
            }
        }
    }

    /// Sleeps until woken, or until the batch it holds is due. While it
    /// holds a batch, records arriving wake it only once a whole batch is
    /// queued: the batch's deadline wakes it otherwise.
    fn sleep(&mut self, wake: &Wake) -> Option<Message> {
        let (due_in, room) = match self.batch_wait() {
            Some(due_in) => (
                Some(due_in),
                wake.batch.saturating_sub(self.unflushed).max(1),
            ),
            None if std::mem::take(&mut self.linger) => (Some(LINGER), wake.linger_batch),
            None => (None, 1),
        };
        let state = if due_in.is_some() { DOZING } else { ASLEEP };
        wake.wake_at.store(room, Ordering::Relaxed);
        wake.state.store(state, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let message = match self.rx.try_recv() {
            Ok(message) => Some(message),
            Err(_) => {
                std::thread::park_timeout(due_in.unwrap_or(LONG_SLEEP).min(LONG_SLEEP));
                None
            }
        };
        wake.state.store(AWAKE, Ordering::Relaxed);
        message
    }

    /// How long until the oldest buffered record must be flushed.
    fn batch_wait(&self) -> Option<Duration> {
        match (self.flush, self.oldest_unflushed) {
            (FlushPolicy::Batch { max_delay, .. }, Some(oldest)) => {
                Some(max_delay.saturating_sub(oldest.elapsed()))
            }
            _ => None,
        }
    }

    /// Handles one message; `false` on shutdown.
    fn handle(&mut self, message: Message) -> bool {
        match message {
            Message::Record(record) => {
                self.taken += 1;
                self.write(&record);
            }
            Message::Flush(ack) => {
                self.flush_now();
                let result = match self.last_error.take() {
                    Some(kind) => Err(io::Error::new(
                        kind,
                        "an audit write failed since the last flush",
                    )),
                    None => Ok(()),
                };
                let _ = ack.send(result);
            }
            Message::Shutdown => return false,
        }
        true
    }

    fn write(&mut self, record: &AuditRecord) {
        self.report_gap(record.time());
        if self.writer.flush_before(record.time()) {
            self.flush_writer();
        }
        match self.writer.write_record(record) {
            Ok(()) => {
                self.unflushed += 1;
                self.oldest_unflushed.get_or_insert_with(Instant::now);
            }
            Err(error) => self.lost(self.unflushed + 1, &error),
        }
        if let FlushPolicy::Batch { max_records, .. } = self.flush
            && self.unflushed >= u64::from(max_records.get())
        {
            self.flush_now();
        }
    }

    fn batch_due(&self) -> bool {
        match (self.flush, self.oldest_unflushed) {
            (FlushPolicy::Batch { max_delay, .. }, Some(oldest)) => oldest.elapsed() >= max_delay,
            _ => false,
        }
    }

    fn flush_now(&mut self) {
        self.report_gap(SystemTime::now());
        self.flush_writer();
    }

    /// Flushes the writer and accounts for what it held.
    fn flush_writer(&mut self) {
        if self.unflushed == 0 && self.oldest_unflushed.is_none() {
            return;
        }
        match self.writer.flush() {
            Ok(()) => {
                self.counters
                    .written
                    .fetch_add(self.unflushed, Ordering::Relaxed);
                self.unflushed = 0;
                self.oldest_unflushed = None;
                self.gaps_unflushed = (0, 0);
            }
            Err(error) => self.lost(self.unflushed, &error),
        }
    }

    /// Writes a gap marker for drops and failures not reported yet.
    fn report_gap(&mut self, time: SystemTime) {
        let dropped = self.counters.unreported_drops.swap(0, Ordering::Relaxed);
        let failed = self.unreported_failures;
        if dropped == 0 && failed == 0 {
            return;
        }
        if dropped > 0 {
            self.alert_drops(dropped);
        }
        if self.writer.flush_before(time) {
            self.flush_writer();
        }
        match self.writer.write_gap(time, dropped, failed) {
            Ok(()) => {
                self.unreported_failures = 0;
                self.gaps_unflushed.0 += dropped;
                self.gaps_unflushed.1 += failed;
                self.oldest_unflushed.get_or_insert_with(Instant::now);
            }
            Err(error) => {
                // Keep the counts for the next marker; the records stay
                // counted in the stats either way.
                self.counters
                    .unreported_drops
                    .fetch_add(dropped, Ordering::Relaxed);
                self.lost(self.unflushed, &error);
            }
        }
    }

    fn lost(&mut self, records: u64, error: &io::Error) {
        self.counters.failed.fetch_add(records, Ordering::Relaxed);
        self.counters.write_errors.fetch_add(1, Ordering::Relaxed);
        let (gap_dropped, gap_failed) = std::mem::take(&mut self.gaps_unflushed);
        self.counters
            .unreported_drops
            .fetch_add(gap_dropped, Ordering::Relaxed);
        self.unreported_failures += records + gap_failed;
        self.unflushed = 0;
        self.oldest_unflushed = None;
        self.last_error = Some(error.kind());
        tracing::error!(target: TARGET, %error, lost = records, "audit write failed");

        let due = self
            .last_failure_alert
            .is_none_or(|at| at.elapsed() >= ALERT_COOLDOWN);
        if let (Some(alerts), true) = (&self.alerts, due) {
            self.last_failure_alert = Some(Instant::now());
            let failed = self.counters.failed.load(Ordering::Relaxed);
            let message = format!("audit write failed ({error}); {failed} records lost so far");
            alerts.send(Alert::new(
                AlertKind::AuditWriteFailed,
                "audit-sink",
                "audit file",
                message,
            ));
        }
    }

    fn alert_drops(&mut self, dropped: u64) {
        self.drops_since_alert += dropped;
        let due = self
            .last_drop_alert
            .is_none_or(|at| at.elapsed() >= ALERT_COOLDOWN);
        if let (Some(alerts), true) = (&self.alerts, due) {
            self.last_drop_alert = Some(Instant::now());
            let message = format!(
                "audit queue full: {} records dropped since the last alert",
                self.drops_since_alert
            );
            self.drops_since_alert = 0;
            alerts.send(Alert::new(
                AlertKind::AuditRecordsDropped,
                "audit-sink",
                "audit queue",
                message,
            ));
        }
    }

    fn finish(mut self) -> io::Result<()> {
        // Records still queued behind the shutdown message are written too.
        while let Ok(message) = self.rx.try_recv() {
            if let Message::Record(record) = message {
                self.write(&record);
            }
        }
        self.flush_now();
        match self.last_error.take() {
            Some(kind) => Err(io::Error::new(
                kind,
                "an audit write failed before shutdown",
            )),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for QueuedSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueuedSink")
            .field("on_full", &self.on_full)
            .field("stats", &self.stats())
            .finish()
    }
}

impl fmt::Debug for SinkGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SinkGuard")
            .field("stats", &self.stats())
            .finish()
    }
}
