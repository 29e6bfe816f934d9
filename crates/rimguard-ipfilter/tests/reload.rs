//! Reloading from a file: on demand, on change, under concurrent requests.

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Logs, TempDir, from, inner};
use http::StatusCode;
use rimguard_ipfilter::{IpFilterLayer, IpList, SharedIpList, Verdict};
use tower::{ServiceBuilder, ServiceExt};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn allows(list: &SharedIpList, addr: &str) -> bool {
    list.load().check(ip(addr)).is_allowed()
}

/// Waits (up to 10 s) until `done` holds.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn reload_swaps_in_the_new_file() {
    let dir = TempDir::new("reload");
    let path = dir.file("office.txt", "203.0.113.0/24\n");
    let office = IpList::builder()
        .name("office")
        .file(&path)
        .build_shared()
        .unwrap();
    assert!(allows(&office, "203.0.113.1"));

    dir.publish(
        "office.txt",
        "# moved\n198.51.100.0/24\ndeny 198.51.100.66\n",
    );
    office.reload().unwrap();

    assert!(!allows(&office, "203.0.113.1"));
    assert!(allows(&office, "198.51.100.1"));
    assert_eq!(office.load().check(ip("198.51.100.66")), Verdict::Denied);
    assert_eq!((office.reloads(), office.reload_failures()), (1, 0));
}

/// `time` rounded down to the millisecond, as `last_reload` keeps it.
fn to_millis(time: SystemTime) -> SystemTime {
    let since = time.duration_since(UNIX_EPOCH).unwrap();
    UNIX_EPOCH + Duration::from_millis(u64::try_from(since.as_millis()).unwrap())
}

#[test]
fn the_time_of_the_last_swap_is_kept_and_a_refused_reload_leaves_it() {
    let dir = TempDir::new("last-reload");
    let path = dir.file("office.txt", "203.0.113.0/24\n");
    let office = IpList::builder()
        .name("office")
        .file(&path)
        .build_shared()
        .unwrap();
    let layer_handle = office.clone();
    assert_eq!(office.last_reload(), None, "the first load is no reload");

    dir.publish("office.txt", "198.51.100.0/24\n");
    let before = to_millis(SystemTime::now());
    office.reload().unwrap();
    let after = SystemTime::now();
    let reloaded = office.last_reload().expect("a swap has a time");
    assert!(
        before <= reloaded && reloaded <= after,
        "{reloaded:?} not within {before:?}..={after:?}"
    );

    dir.publish("office.txt", "not a range\n");
    assert!(office.reload().is_err());
    assert_eq!(office.last_reload(), Some(reloaded));
    assert_eq!(
        layer_handle.last_reload(),
        Some(reloaded),
        "clones share it"
    );
}

#[test]
fn a_replacement_in_code_is_a_reload_with_a_time() {
    let office = SharedIpList::new(
        IpList::builder()
            .name("office")
            .allow("203.0.113.0/24")
            .build()
            .unwrap(),
    );
    assert_eq!(office.last_reload(), None);
    let before = to_millis(SystemTime::now());
    office.replace(
        IpList::builder()
            .name("office")
            .allow("198.51.100.0/24")
            .build()
            .unwrap(),
    );
    assert!(office.last_reload().is_some_and(|time| time >= before));
}

#[test]
fn inline_entries_stay_across_reloads() {
    let dir = TempDir::new("inline");
    let path = dir.file("office.txt", "203.0.113.0/24\n");
    let office = IpList::builder()
        .allow("192.0.2.10")
        .file(&path)
        .build_shared()
        .unwrap();
    dir.publish("office.txt", "");
    office.reload().unwrap();

    assert!(allows(&office, "192.0.2.10"));
    assert!(!allows(&office, "203.0.113.1"));
}

#[test]
fn a_bad_file_keeps_the_old_list_logs_why_and_is_counted() {
    let (logs, _guard) = Logs::capture();
    let dir = TempDir::new("bad");
    let path = dir.file("office.txt", "203.0.113.0/24\n");
    let office = IpList::builder()
        .name("office")
        .file(&path)
        .build_shared()
        .unwrap();

    dir.publish("office.txt", "198.51.100.0/24\n\n198.51.100.300\n");
    let error = office.reload().unwrap_err();

    assert_eq!((error.line(), error.column()), (Some(3), Some(1)));
    assert_eq!(error.file(), Some(path.as_path()));
    assert!(allows(&office, "203.0.113.1"), "the old list stays");
    assert!(
        !allows(&office, "198.51.100.1"),
        "nothing of the bad file was taken"
    );
    assert_eq!((office.reloads(), office.reload_failures()), (0, 1));

    let warnings = logs.lines_with("reload refused");
    assert_eq!(warnings.len(), 1, "{}", logs.text());
    assert!(
        warnings[0].contains("WARN") && warnings[0].contains(":3:1:"),
        "{warnings:?}"
    );
}

#[test]
fn a_vanished_file_keeps_the_old_list() {
    let dir = TempDir::new("vanished");
    let path = dir.file("office.txt", "203.0.113.0/24\n");
    let office = IpList::builder().file(&path).build_shared().unwrap();
    std::fs::remove_file(&path).unwrap();

    let error = office.reload().unwrap_err();
    assert!(error.message().contains("cannot read"), "{error}");
    assert!(allows(&office, "203.0.113.1"));
}

#[test]
fn a_missing_file_at_start_is_a_config_error() {
    let dir = TempDir::new("missing");
    let error = IpList::builder()
        .file(dir.0.join("nope.txt"))
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "file");
    assert!(error.to_string().contains("nope.txt"), "{error}");
}

#[test]
fn a_list_without_a_file_cannot_be_watched() {
    let office = SharedIpList::new(IpList::builder().allow("192.0.2.0/24").build().unwrap());
    assert_eq!(
        office.watch(Duration::from_secs(1)).unwrap_err().field(),
        "file"
    );
    office.reload().unwrap();
    assert!(allows(&office, "192.0.2.1"));
}

#[test]
fn the_watcher_reloads_a_changed_file() {
    let dir = TempDir::new("watch");
    let path = dir.file("office.txt", "203.0.113.0/24\n");
    let office = IpList::builder().file(&path).build_shared().unwrap();
    let watcher = office.watch(Duration::from_millis(10)).unwrap();

    dir.publish("office.txt", "198.51.100.0/24\n");
    eventually("the new list is in force", || {
        allows(&office, "198.51.100.1")
    });
    assert!(!allows(&office, "203.0.113.1"));

    // In place, not renamed: seen once it has settled.
    std::fs::write(&path, "192.0.2.0/24\n").unwrap();
    eventually("the rewritten list is in force", || {
        allows(&office, "192.0.2.1")
    });
    drop(watcher);
}

#[test]
fn the_watcher_does_not_retry_a_bad_file_until_it_changes() {
    let dir = TempDir::new("watch-bad");
    let path = dir.file("office.txt", "203.0.113.0/24\n");
    let office = IpList::builder().file(&path).build_shared().unwrap();
    let _watcher = office.watch(Duration::from_millis(5)).unwrap();

    dir.publish("office.txt", "203.0.113.0/24\nnonsense\n");
    eventually("the bad file was tried", || office.reload_failures() == 1);
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        office.reload_failures(),
        1,
        "tried once, not at every check"
    );
    assert!(allows(&office, "203.0.113.1"));

    dir.publish("office.txt", "198.51.100.0/24\n");
    eventually("the fixed file is loaded", || {
        allows(&office, "198.51.100.1")
    });
}

#[test]
fn dropping_the_watcher_stops_it() {
    let dir = TempDir::new("watch-stop");
    let path = dir.file("office.txt", "203.0.113.0/24\n");
    let office = IpList::builder().file(&path).build_shared().unwrap();
    drop(office.watch(Duration::from_millis(5)).unwrap());

    dir.publish("office.txt", "198.51.100.0/24\n");
    thread::sleep(Duration::from_millis(60));
    assert_eq!(office.reloads(), 0);
    assert!(allows(&office, "203.0.113.1"));
}

/// A list file of version `a` or `b`: 1,001 ranges, each version allowing
/// its own marker network and its own last line.
fn version(name: char) -> String {
    let (marker, block) = if name == 'a' {
        ("10.0.0.0/8", 16)
    } else {
        ("192.168.0.0/16", 17)
    };
    let mut text = format!("# version {name}\n{marker}\n");
    for i in 0..1000u32 {
        text.push_str(&format!("172.{block}.{}.{}\n", i / 256, i % 256));
    }
    text
}

/// Checks that one snapshot is all of version a or all of version b.
fn assert_whole(list: &IpList) -> char {
    let a = list.check(ip("10.1.1.1")).is_allowed();
    let b = list.check(ip("192.168.1.1")).is_allowed();
    let a_last = list.check(ip("172.16.3.231")).is_allowed();
    let b_last = list.check(ip("172.17.3.231")).is_allowed();
    assert_eq!(list.len(), 1001, "a snapshot holds a whole file");
    assert!(
        a != b && a == a_last && b == b_last,
        "a snapshot mixes versions: {a} {b} {a_last} {b_last}"
    );
    if a { 'a' } else { 'b' }
}

#[test]
fn concurrent_requests_see_the_old_list_or_the_new_never_a_mix() {
    let dir = TempDir::new("concurrent");
    let path = dir.file("office.txt", &version('a'));
    let office = IpList::builder()
        .name("office")
        .file(&path)
        .build_shared()
        .unwrap();
    let watcher = office.watch(Duration::from_millis(1)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));

    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (office, stop) = (office.clone(), stop.clone());
            thread::spawn(move || {
                let mut seen = [0usize; 2];
                while !stop.load(Ordering::Relaxed) {
                    let version = assert_whole(&office.load());
                    seen[usize::from(version == 'b')] += 1;
                }
                seen
            })
        })
        .collect();
    let reloader = {
        let (office, stop) = (office.clone(), stop.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = office.reload();
            }
        })
    };
    let requests = {
        let (office, stop) = (office.clone(), stop.clone());
        thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            runtime.block_on(async move {
                let service = ServiceBuilder::new()
                    .layer(IpFilterLayer::new(office))
                    .service_fn(inner);
                let mut answered = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let batch: Vec<_> = ["10.1.1.1", "192.168.1.1", "172.16.3.231", "8.8.8.8"]
                        .into_iter()
                        .map(|addr| tokio::spawn(service.clone().oneshot(from(addr))))
                        .collect();
                    for task in batch {
                        let status = task.await.unwrap().unwrap().status();
                        assert!(status == StatusCode::OK || status == StatusCode::FORBIDDEN);
                        answered += 1;
                    }
                }
                answered
            })
        })
    };

    let (good_a, good_b) = (version('a'), version('b'));
    let bad = format!("{good_b}172.18.0.300\n");
    for round in 0..150 {
        let text = match round % 3 {
            0 => &good_b,
            1 => &bad,
            _ => &good_a,
        };
        dir.publish("office.txt", text);
        thread::sleep(Duration::from_millis(1));
    }
    dir.publish("office.txt", &good_b);
    office.reload().unwrap();
    stop.store(true, Ordering::Relaxed);

    let mut seen = [0usize; 2];
    for reader in readers {
        let counts = reader
            .join()
            .expect("no reader saw a mixed or partial list");
        seen = [seen[0] + counts[0], seen[1] + counts[1]];
    }
    reloader.join().unwrap();
    assert!(requests.join().unwrap() > 0);
    drop(watcher);

    assert!(
        seen[0] > 0 && seen[1] > 0,
        "both versions were served: {seen:?}"
    );
    assert!(office.reloads() > 2 && office.reload_failures() > 0);
    assert_eq!(
        assert_whole(&office.load()),
        'b',
        "the last good file is in force"
    );
}
