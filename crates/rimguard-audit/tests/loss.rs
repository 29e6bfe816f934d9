//! No silent loss: a full or failing sink counts and reports every record
//! it could not write, and raises an alert.

use std::io;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};
use rimguard_audit::{
    Alert, AlertKind, Alerts, AuditRecord, AuditSink, FileSink, FlushPolicy, FnAlerts, OnFull,
    Outcome, PendingRecord, QueueOptions, QueuedSink, RecordWriter, RequestId, verify,
};

fn record() -> AuditRecord {
    PendingRecord::new(
        SystemTime::now(),
        RequestId::generate(),
        Method::GET,
        "/".parse().unwrap(),
    )
    .finish(StatusCode::OK, Duration::ZERO, Outcome::Allowed)
}

#[derive(Default, Clone)]
struct Log {
    written: Arc<Mutex<Vec<String>>>,
}

/// Writes into memory; holds its first write until the gate opens; fails
/// while `failing` is set.
struct TestWriter {
    log: Log,
    gate: Option<Receiver<()>>,
    failing: Arc<Mutex<bool>>,
    buffered: Vec<String>,
}

impl RecordWriter for TestWriter {
    fn write_record(&mut self, record: &AuditRecord) -> io::Result<()> {
        if let Some(gate) = self.gate.take() {
            let _ = gate.recv();
        }
        if *self.failing.lock().unwrap() {
            self.buffered.clear();
            return Err(io::Error::other("disk on fire"));
        }
        self.buffered.push(record.request_id().to_string());
        Ok(())
    }

    fn write_gap(&mut self, _time: SystemTime, dropped: u64, failed: u64) -> io::Result<()> {
        self.buffered
            .push(format!("gap dropped={dropped} failed={failed}"));
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.log.written.lock().unwrap().append(&mut self.buffered);
        Ok(())
    }
}

fn alert_collector() -> (
    rimguard_audit::AlertSender,
    rimguard_audit::AlertGuard,
    Receiver<Alert>,
) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let sink = FnAlerts::new(move |alert: &Alert| {
        let _ = tx.lock().unwrap().send(alert.clone());
    });
    let (alerts, guard) = Alerts::builder().sink(sink).spawn().unwrap();
    (alerts, guard, rx)
}

#[test]
fn a_full_queue_drops_counts_writes_a_gap_and_alerts() {
    let (alerts, alert_guard, alerts_rx) = alert_collector();
    let (open_gate, gate) = mpsc::channel();
    let log = Log::default();
    let writer = TestWriter {
        log: log.clone(),
        gate: Some(gate),
        failing: Default::default(),
        buffered: vec![],
    };
    let options = QueueOptions {
        capacity: NonZeroUsize::new(4).unwrap(),
        on_full: OnFull::DropAndCount,
        flush: FlushPolicy::EveryRecord,
    };
    let (sink, guard) = QueuedSink::spawn("test", writer, options, Some(alerts)).unwrap();

    // The writer holds the first record at its gate; four more fill the
    // queue; the rest are dropped.
    sink.submit(record());
    while sink.stats().accepted < 1 {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20));
    for _ in 0..20 {
        sink.submit(record());
    }
    let stats = sink.stats();
    assert_eq!(stats.accepted + stats.dropped, 21);
    assert!(stats.dropped >= 15, "{stats:?}");

    open_gate.send(()).unwrap();
    sink.submit(record()); // the next record after room is back carries the gap
    let stats = guard.shutdown().unwrap();
    assert_eq!(
        stats.written + stats.dropped,
        22,
        "every record is written or counted: {stats:?}"
    );

    let written = log.written.lock().unwrap().clone();
    let gap = written
        .iter()
        .find(|l| l.starts_with("gap"))
        .expect("a gap marker is written");
    assert_eq!(gap, &format!("gap dropped={} failed=0", stats.dropped));

    alert_guard.shutdown();
    let alert = alerts_rx.try_recv().expect("dropping raised an alert");
    assert_eq!(alert.kind(), AlertKind::AuditRecordsDropped);
}

#[test]
fn a_blocking_queue_loses_nothing_however_small() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    let (sink, guard) = FileSink::builder(&path)
        .capacity(NonZeroUsize::new(1).unwrap())
        .on_full(OnFull::Block)
        .build()
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let sink = sink.clone();
            std::thread::spawn(move || (0..250).for_each(|_| sink.submit(record())))
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());

    let stats = guard.shutdown().unwrap();
    assert_eq!((stats.written, stats.lost()), (1000, 0));
    assert_eq!(verify(&path).unwrap().records, 1000);
}

#[test]
fn a_failing_writer_counts_the_lost_records_reports_them_and_alerts() {
    let (alerts, alert_guard, alerts_rx) = alert_collector();
    let failing = Arc::new(Mutex::new(true));
    let log = Log::default();
    let writer = TestWriter {
        log: log.clone(),
        gate: None,
        failing: failing.clone(),
        buffered: vec![],
    };
    let (sink, guard) =
        QueuedSink::spawn("test", writer, QueueOptions::default(), Some(alerts)).unwrap();

    for _ in 0..3 {
        sink.submit(record());
    }
    assert!(sink.flush().is_err(), "the flush reports the failure");
    assert_eq!(sink.stats().failed, 3);

    *failing.lock().unwrap() = false;
    sink.submit(record());
    let stats = guard.shutdown().unwrap();
    assert_eq!((stats.written, stats.failed, stats.dropped), (1, 3, 0));
    // The writer may take the three records in one go or one by one, so
    // the losses may be reported in one marker or several: together they
    // count each lost record once, before the record that was written.
    let written = log.written.lock().unwrap().clone();
    let (gaps, records) = written.split_at(written.len() - 1);
    let reported: u64 = gaps
        .iter()
        .map(|gap| {
            let failed = gap.strip_prefix("gap dropped=0 failed=");
            failed
                .unwrap_or_else(|| panic!("not a gap marker: {gap}"))
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(reported, 3, "{written:?}");
    assert!(!records[0].starts_with("gap"), "{written:?}");

    alert_guard.shutdown();
    let alert = alerts_rx.try_recv().expect("the failure raised an alert");
    assert_eq!(alert.kind(), AlertKind::AuditWriteFailed);
    assert!(alert.message().contains("disk on fire"));
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_counted_and_alerted() {
    let (alerts, alert_guard, alerts_rx) = alert_collector();
    let (sink, guard) = FileSink::builder("/dev/full")
        .alerts(alerts)
        .build()
        .unwrap();
    for _ in 0..5 {
        sink.submit(record());
    }
    let error = sink.flush().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    assert!(
        guard.shutdown().is_err(),
        "shutdown reports that the last flush failed"
    );
    assert_eq!(sink.stats().failed + sink.stats().written, 5);
    assert!(sink.stats().failed >= 5);

    alert_guard.shutdown();
    assert_eq!(
        alerts_rx.try_recv().unwrap().kind(),
        AlertKind::AuditWriteFailed
    );
}

#[test]
fn a_batch_is_flushed_by_its_delay_without_more_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    let flush = FlushPolicy::Batch {
        max_records: NonZeroU32::new(1000).unwrap(),
        max_delay: Duration::from_millis(20),
    };
    let (sink, guard) = FileSink::builder(&path).flush(flush).build().unwrap();
    sink.submit(record());

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&path).unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the batch was never flushed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(sink.stats().written, 1);
    guard.shutdown().unwrap();
}

#[test]
fn a_batch_is_flushed_when_full() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    let flush = FlushPolicy::Batch {
        max_records: NonZeroU32::new(3).unwrap(),
        max_delay: Duration::from_secs(3600),
    };
    let (sink, guard) = FileSink::builder(&path).flush(flush).build().unwrap();
    for _ in 0..3 {
        sink.submit(record());
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while sink.stats().written < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "a full batch was not flushed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    guard.shutdown().unwrap();
}

#[test]
fn shutdown_writes_everything_still_queued() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    let flush = FlushPolicy::Batch {
        max_records: NonZeroU32::new(10_000).unwrap(),
        max_delay: Duration::from_secs(3600),
    };
    let (sink, guard) = FileSink::builder(&path).flush(flush).build().unwrap();
    for _ in 0..500 {
        sink.submit(record());
    }
    let stats = guard.shutdown().unwrap();
    assert_eq!(stats.written, 500);
    assert_eq!(verify(&path).unwrap().records, 500);

    sink.submit(record());
    assert_eq!(
        sink.stats().dropped,
        1,
        "a record after shutdown is refused and counted"
    );
}

#[test]
fn each_loss_is_reported_once_in_the_gap_markers() {
    let (open_gate, gate) = mpsc::channel();
    let failing = Arc::new(Mutex::new(false));
    let log = Log::default();
    let writer = TestWriter {
        log: log.clone(),
        gate: Some(gate),
        failing: failing.clone(),
        buffered: vec![],
    };
    let options = QueueOptions {
        capacity: NonZeroUsize::new(2).unwrap(),
        on_full: OnFull::DropAndCount,
        flush: FlushPolicy::EveryRecord,
    };
    let (sink, guard) = QueuedSink::spawn("test", writer, options, None).unwrap();

    // Drops while the writer is held at its gate.
    sink.submit(record());
    while sink.stats().accepted < 1 {
        std::thread::yield_now();
    }
    std::thread::sleep(Duration::from_millis(20));
    for _ in 0..10 {
        sink.submit(record());
    }
    let dropped = sink.stats().dropped;
    open_gate.send(()).unwrap();
    sink.flush().unwrap();

    // Then a failure, then recovery.
    sink.submit(record()); // carries the drop gap
    sink.flush().unwrap();
    *failing.lock().unwrap() = true;
    sink.submit(record());
    assert!(sink.flush().is_err());
    *failing.lock().unwrap() = false;
    sink.submit(record());
    let stats = guard.shutdown().unwrap();

    let gaps: Vec<String> = log
        .written
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("gap"))
        .cloned()
        .collect();
    assert_eq!(
        gaps,
        [
            format!("gap dropped={dropped} failed=0"),
            "gap dropped=0 failed=1".to_owned()
        ]
    );
    assert_eq!(stats.dropped, dropped);
    assert_eq!(stats.failed, 1);
}
