//! Key ages against the rotation period, with a clock moved by hand.

mod common;

use std::time::{Duration, SystemTime};

use rimguard_secrets::clock::ManualClock;
use rimguard_secrets::key::ApiKey;
use rimguard_secrets::rotation::{ApiKeys, DEFAULT_ROTATE_AFTER, KeySlots};
use rimguard_secrets::secret::SecretString;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000)
}

fn key(id: &str, value: &str, created: SystemTime) -> ApiKey {
    ApiKey::new(id, &SecretString::from(value), created).unwrap()
}

#[test]
fn the_default_rotation_period_is_ninety_days() {
    assert_eq!(DEFAULT_ROTATE_AFTER, 90 * DAY);
    let keys = ApiKeys::new(key("k", "rg_live_0123456789abcdef0123", start()));
    assert_eq!(keys.rotate_after(), 90 * DAY);
}

#[test]
fn a_key_younger_than_the_period_raises_no_warning() {
    let clock = ManualClock::new(start() + 90 * DAY);
    let (overdue, log) = common::capture_text(|| {
        let keys = ApiKeys::builder(KeySlots::new(key(
            "bot-1",
            "rg_live_0123456789abcdef0123",
            start(),
        )))
        .clock(clock.clone())
        .build();
        (keys.check_rotation(), keys.overdue_keys())
    });
    assert_eq!(overdue, (vec![], 0));
    assert!(!log.contains("due for rotation"), "{log}");
}

#[test]
fn a_key_past_the_period_is_logged_at_warn_and_counted() {
    let clock = ManualClock::new(start());
    let keys = ApiKeys::builder(KeySlots::new(key(
        "bot-1",
        "rg_live_ab12cd34ef56gh78ij90",
        start(),
    )))
    .clock(clock.clone())
    .build();
    assert_eq!(keys.overdue_keys(), 0);

    clock.advance(91 * DAY);
    let (overdue, log) = common::capture_text(|| keys.check_rotation());

    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].id().as_str(), "bot-1");
    assert_eq!(keys.overdue_keys(), 1);
    assert!(log.contains("WARN"), "{log}");
    assert!(log.contains("rimguard::secrets"), "{log}");
    assert!(log.contains("API key is due for rotation"), "{log}");
    assert!(
        log.contains("key_id=bot-1") && log.contains("age_days=91"),
        "{log}"
    );
    assert!(log.contains("rg_live_ab12…"), "{log}");
    assert!(!log.contains("cd34ef56"), "{log}");
}

#[test]
fn only_the_old_key_of_a_pair_is_overdue_and_retiring_it_clears_the_gauge() {
    let clock = ManualClock::new(start() + 100 * DAY);
    let slots = KeySlots::new(key(
        "new",
        "rg_live_new_0123456789abcdef",
        start() + 95 * DAY,
    ))
    .with_secondary(key("old", "rg_live_old_0123456789abcdef", start()));
    let keys = ApiKeys::builder(slots).clock(clock).build();

    let overdue: Vec<String> = keys
        .check_rotation()
        .iter()
        .map(|m| m.id().to_string())
        .collect();
    assert_eq!(overdue, ["old"]);
    assert_eq!(keys.overdue_keys(), 1);

    keys.retire();
    assert_eq!(keys.overdue_keys(), 0, "changes re-run the check");
}

#[test]
fn a_custom_period_is_honoured() {
    let clock = ManualClock::new(start() + 31 * DAY);
    let keys = ApiKeys::builder(KeySlots::new(key(
        "k",
        "rg_live_0123456789abcdef0123",
        start(),
    )))
    .rotate_after(30 * DAY)
    .clock(clock.clone())
    .name("shop")
    .build();
    assert_eq!(keys.overdue_keys(), 1);
    clock.set(start() + 29 * DAY);
    assert!(keys.check_rotation().is_empty());
    assert_eq!(keys.overdue_keys(), 0);
}

#[test]
fn the_warning_is_also_readable_in_json_logs() {
    let clock = ManualClock::new(start() + 200 * DAY);
    let ((), log) = common::capture_json(|| {
        ApiKeys::builder(KeySlots::new(key(
            "bot-json",
            "rg_live_0123456789abcdef0123",
            start(),
        )))
        .clock(clock.clone())
        .build();
    });
    let line = log
        .lines()
        .find(|l| l.contains("due for rotation"))
        .expect("a warning line");
    let event: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(event["level"], "WARN");
    assert_eq!(event["target"], "rimguard::secrets");
    assert_eq!(event["fields"]["key_id"], "bot-json");
    assert_eq!(event["fields"]["age_days"], 200);
}

#[test]
fn a_swap_is_all_or_nothing() {
    let keys = ApiKeys::new(key("a", "rg_live_a_0123456789abcdef", start()));
    let before = keys.slots();
    keys.replace(
        KeySlots::new(key("b", "rg_live_b_0123456789abcdef", start())).with_secondary(key(
            "c",
            "rg_live_c_0123456789abcdef",
            start(),
        )),
    );
    assert_eq!(
        before.primary().unwrap().id().as_str(),
        "a",
        "a held snapshot keeps the old pair"
    );
    let slots = keys.slots();
    let ids: Vec<&str> = slots.iter().map(|k| k.id().as_str()).collect();
    assert_eq!(ids, ["b", "c"]);
    assert!(keys.verify(b"rg_live_a_0123456789abcdef").is_none());
}
