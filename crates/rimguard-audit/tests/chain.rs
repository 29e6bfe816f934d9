//! The file sink's hash chain: verify names the line that was changed,
//! removed or swapped; rotation and restarts keep the chain.

use std::fs;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Method, StatusCode};
use rimguard_audit::{
    AuditRecord, AuditSink, FileSink, Outcome, PendingRecord, ProblemKind, RequestId, Rotation,
    verify,
};

fn record_at(time: SystemTime, n: usize) -> AuditRecord {
    let uri = format!("/orders/{n}?token=s3cret").parse().unwrap();
    PendingRecord::new(time, RequestId::generate(), Method::GET, uri)
        .client_ip("198.51.100.4".parse().unwrap())
        .finish(StatusCode::OK, Duration::from_micros(90), Outcome::Allowed)
}

fn write(path: &Path, rotation: Rotation, times: impl IntoIterator<Item = SystemTime>) {
    let (sink, guard) = FileSink::builder(path).rotate(rotation).build().unwrap();
    let mut submitted = 0;
    for (n, time) in times.into_iter().enumerate() {
        sink.submit(record_at(time, n));
        submitted += 1;
    }
    let stats = guard.shutdown().unwrap();
    assert_eq!((stats.written, stats.lost()), (submitted, 0));
}

fn now_times(n: usize) -> Vec<SystemTime> {
    vec![SystemTime::now(); n]
}

fn five_records() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit").join("rimguard.jsonl");
    write(&path, Rotation::never(), now_times(5));
    (dir, path)
}

fn edit_lines(path: &Path, change: impl FnOnce(&mut Vec<String>)) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    change(&mut lines);
    fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn an_untouched_file_verifies() {
    let (_dir, path) = five_records();
    let report = verify(&path).unwrap();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!(report.records, 5);
    assert_eq!(report.first_seq, Some(0));
    assert_eq!(report.last_seq, Some(4));
    assert!(report.starts_at_genesis);
    assert!(!fs::read_to_string(&path).unwrap().contains("s3cret"));
}

#[test]
fn editing_one_line_makes_verify_name_that_line() {
    let (_dir, path) = five_records();
    edit_lines(&path, |lines| {
        lines[2] = lines[2].replace("\"status\":200", "\"status\":201")
    });

    let problem = verify(&path).unwrap().problem.unwrap();
    assert_eq!(problem.line, 3);
    assert_eq!(problem.kind, ProblemKind::Changed);
    assert_eq!(problem.file, path);
}

#[test]
fn an_edited_line_with_a_recomputed_hash_breaks_the_next_link() {
    use sha2::{Digest, Sha256};
    let (_dir, path) = five_records();
    edit_lines(&path, |lines| {
        let edited = lines[1].replace("\"status\":200", "\"status\":204");
        let cut = edited.rfind(",\"hash\":\"").unwrap();
        let hash = hex::encode(Sha256::digest(&edited.as_bytes()[..cut]));
        lines[1] = format!("{},\"hash\":\"{hash}\"}}", &edited[..cut]);
    });

    let problem = verify(&path).unwrap().problem.unwrap();
    assert_eq!(problem.line, 3);
    assert_eq!(problem.kind, ProblemKind::BrokenLink);
}

#[test]
fn deleting_one_line_makes_verify_name_the_line_after_the_gap() {
    let (_dir, path) = five_records();
    edit_lines(&path, |lines| {
        lines.remove(1);
    });

    let problem = verify(&path).unwrap().problem.unwrap();
    assert_eq!(problem.line, 2);
    assert_eq!(
        problem.kind,
        ProblemKind::Removed {
            expected_seq: 1,
            found_seq: 2
        }
    );
    assert!(problem.to_string().ends_with("records 1 to 1 removed"));
}

#[test]
fn swapping_two_lines_makes_verify_name_the_first_of_them() {
    let (_dir, path) = five_records();
    edit_lines(&path, |lines| lines.swap(2, 3));

    let problem = verify(&path).unwrap().problem.unwrap();
    assert_eq!(problem.line, 3);
    assert_eq!(
        problem.kind,
        ProblemKind::Reordered {
            expected_seq: 2,
            found_seq: 3
        }
    );
}

#[test]
fn a_line_that_is_not_a_sealed_record_is_malformed() {
    let (_dir, path) = five_records();
    edit_lines(&path, |lines| {
        lines.insert(4, "{\"note\":\"added by hand\"}".into())
    });
    let problem = verify(&path).unwrap().problem.unwrap();
    assert_eq!((problem.line, problem.kind), (5, ProblemKind::Malformed));
}

#[test]
fn a_restarted_sink_continues_the_chain() {
    let (_dir, path) = five_records();
    write(&path, Rotation::never(), now_times(3));

    let report = verify(&path).unwrap();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!(report.records, 8);
}

#[test]
fn a_torn_last_line_is_reported_and_the_chain_goes_on_after_it() {
    let (_dir, path) = five_records();
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str("{\"seq\":5,\"prev\":\"ab"); // a crash in the middle of a write
    fs::write(&path, text).unwrap();

    write(&path, Rotation::never(), now_times(2));
    let problem = verify(&path).unwrap().problem.unwrap();
    assert_eq!((problem.line, problem.kind), (6, ProblemKind::Malformed));
    let lines = fs::read_to_string(&path).unwrap();
    assert_eq!(
        lines.lines().count(),
        8,
        "the new records start on their own line"
    );
}

#[test]
fn size_rotation_keeps_one_chain_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    let rotation = Rotation::max_bytes(NonZeroU64::new(2_000).unwrap());
    write(&path, rotation, now_times(40));

    let report = verify(&path).unwrap();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!(report.records, 40);
    assert!(
        report.files.len() > 3,
        "rotated into {} files",
        report.files.len()
    );
    assert_eq!(report.files.last(), Some(&path));
    for file in &report.files[..report.files.len() - 1] {
        assert!(
            fs::metadata(file).unwrap().len() < 2_000 + 600,
            "one record past the limit at most"
        );
    }

    // Each new file starts from the last hash of the one before.
    let last_of_first: serde_json::Value = serde_json::from_str(
        fs::read_to_string(&report.files[0])
            .unwrap()
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    let first_of_second: serde_json::Value = serde_json::from_str(
        fs::read_to_string(&report.files[1])
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first_of_second["prev"], last_of_first["hash"]);
}

#[test]
fn a_removed_middle_segment_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    write(
        &path,
        Rotation::max_bytes(NonZeroU64::new(2_000).unwrap()),
        now_times(40),
    );
    let files = verify(&path).unwrap().files;
    fs::remove_file(&files[1]).unwrap();

    let problem = verify(&path).unwrap().problem.unwrap();
    assert_eq!(problem.file, files[2]);
    assert_eq!(problem.line, 1);
    assert!(matches!(problem.kind, ProblemKind::Removed { .. }));
}

#[test]
fn daily_rotation_follows_the_records_utc_dates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    let day =
        |d: u64, h: u64| UNIX_EPOCH + Duration::from_secs(1_796_256_000 + d * 86_400 + h * 3600);
    // 2026-12-03 at 10:00, 23:00; 12-04 at 00:00, 09:00; 12-06 at 08:00.
    let times = [day(0, 10), day(0, 23), day(1, 0), day(1, 9), day(3, 8)];
    write(&path, Rotation::daily(), times);

    let report = verify(&path).unwrap();
    assert!(report.is_intact(), "{:?}", report.problem);
    assert_eq!(report.files.len(), 3);
    let counts: Vec<usize> = report
        .files
        .iter()
        .map(|f| fs::read_to_string(f).unwrap().lines().count())
        .collect();
    assert_eq!(counts, [2, 2, 1]);
    let first_day = fs::read_to_string(&report.files[0]).unwrap();
    assert!(first_day.contains("\"time\":\"2026-12-03T10:00:00.000000Z\""));
}

#[test]
fn a_rotation_that_would_overwrite_a_segment_loses_and_counts_instead() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    let (sink, guard) = FileSink::builder(&path)
        .rotate(Rotation::max_bytes(NonZeroU64::new(1_000).unwrap()))
        .build()
        .unwrap();
    // A segment appears under the name the active file would rotate to:
    // rotating must not erase it.
    fs::write(dir.path().join("rimguard.000000000000.jsonl"), "keep me\n").unwrap();
    for n in 0..10 {
        sink.submit(record_at(SystemTime::now(), n));
    }
    assert!(guard.shutdown().is_err(), "the failure is reported");

    let stats = sink.stats();
    assert_eq!(stats.written + stats.failed, 10, "{stats:?}");
    assert!(stats.failed > 0);
    assert_eq!(
        fs::read_to_string(dir.path().join("rimguard.000000000000.jsonl")).unwrap(),
        "keep me\n"
    );
}

#[test]
fn a_restart_after_rotation_continues_from_the_newest_segment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rimguard.jsonl");
    let rotation = Rotation::max_bytes(NonZeroU64::new(1_500).unwrap());
    write(&path, rotation, now_times(10));
    fs::remove_file(&path).ok(); // the active file may have been rotated away and not yet recreated
    write(&path, rotation, now_times(10));

    let report = verify(&path).unwrap();
    assert_eq!(report.records, report.last_seq.unwrap() + 1);
    assert!(report.is_intact(), "{:?}", report.problem);
}

mod any_edit {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever single byte of whichever line is changed, verify names
        /// that line.
        #[test]
        fn changing_any_byte_of_any_line_is_found_at_that_line(
            line in 0usize..6,
            at in any::<prop::sample::Index>(),
            replacement in prop::sample::select(b"0123456789abcdefxyz\"{}:, ".to_vec()),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("rimguard.jsonl");
            write(&path, Rotation::never(), now_times(6));
            let mut lines: Vec<Vec<u8>> = fs::read(&path)
                .unwrap()
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            let position = at.index(lines[line].len());
            prop_assume!(lines[line][position] != replacement);
            lines[line][position] = replacement;
            fs::write(&path, lines.join(&b'\n').into_iter().chain([b'\n']).collect::<Vec<u8>>()).unwrap();

            let problem = verify(&path).unwrap().problem.expect("the edit is found");
            prop_assert_eq!(problem.line, line as u64 + 1);
        }
    }
}

#[test]
fn a_broken_chain_found_at_start_up_raises_an_alert_and_recording_goes_on() {
    let (_dir, path) = five_records();
    edit_lines(&path, |lines| {
        lines[3] = lines[3].replace("\"status\":200", "\"status\":500")
    });

    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let collect = rimguard_audit::FnAlerts::new(move |alert: &rimguard_audit::Alert| {
        let _ = tx.lock().unwrap().send(alert.clone());
    });
    let (alerts, alert_guard) = rimguard_audit::Alerts::builder()
        .sink(collect)
        .spawn()
        .unwrap();
    let (sink, guard) = FileSink::builder(&path)
        .verify_on_open(true)
        .alerts(alerts)
        .build()
        .unwrap();
    sink.submit(record_at(SystemTime::now(), 9));
    assert_eq!(guard.shutdown().unwrap().written, 1);
    alert_guard.shutdown();

    let alert = rx.try_recv().expect("the broken chain raised an alert");
    assert_eq!(alert.kind(), rimguard_audit::AlertKind::AuditChainBroken);
    assert!(
        alert.message().contains(":4: record changed"),
        "{}",
        alert.message()
    );
}
