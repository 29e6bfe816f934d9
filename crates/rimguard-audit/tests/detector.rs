//! Each detector rule, driven by records with chosen times.

use std::net::IpAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Method, StatusCode};
use rimguard_audit::{
    AlertKind, AuditRecord, BusinessHours, Detector, Identifier, Outcome, PendingRecord, RequestId,
    Rule, Weekday,
};
use rimguard_core::{ApiKeyId, CallerPhone, Layer};

/// 2026-12-03 (a Thursday) 00:00:00 UTC.
const THURSDAY: u64 = 1_796_256_000;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(THURSDAY + secs)
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

struct Req {
    time: SystemTime,
    ip: &'static str,
    key: Option<&'static str>,
    phone: Option<String>,
    outcome: Outcome,
    status: StatusCode,
}

impl Req {
    fn at(time: SystemTime) -> Self {
        Self {
            time,
            ip: "203.0.113.7",
            key: None,
            phone: None,
            outcome: Outcome::Allowed,
            status: StatusCode::OK,
        }
    }
    fn ip(mut self, ip: &'static str) -> Self {
        self.ip = ip;
        self
    }
    fn key(mut self, key: &'static str) -> Self {
        self.key = Some(key);
        self
    }
    fn phone(mut self, phone: String) -> Self {
        self.phone = Some(phone);
        self
    }
    fn refused_by_api_key(mut self) -> Self {
        self.outcome = Outcome::Refused {
            layer: Layer::ApiKey,
            code: "invalid-key",
        };
        self.status = StatusCode::UNAUTHORIZED;
        self
    }
    fn record(self) -> AuditRecord {
        let mut pending = PendingRecord::new(
            self.time,
            RequestId::generate(),
            Method::GET,
            "/".parse().unwrap(),
        )
        .client_ip(self.ip.parse::<IpAddr>().unwrap());
        if let Some(key) = self.key {
            pending = pending.api_key(ApiKeyId::new(key));
        }
        if let Some(phone) = self.phone {
            pending = pending.phone(CallerPhone::from_e164(&phone).unwrap());
        }
        pending.finish(self.status, Duration::from_millis(1), self.outcome)
    }
}

fn alerts(detector: &mut Detector, req: Req) -> Vec<rimguard_audit::Alert> {
    detector.observe(&req.record())
}

#[test]
fn too_many_requests_from_one_ip_alerts_once_per_cooldown() {
    let rule =
        Rule::too_many_requests(Identifier::ClientIp, nz(3), Duration::from_secs(60)).unwrap();
    let mut detector = Detector::new([rule.cooldown(Duration::from_secs(300))]);

    for s in 0..3 {
        assert!(
            alerts(&mut detector, Req::at(at(s))).is_empty(),
            "within the limit"
        );
    }
    let raised = alerts(&mut detector, Req::at(at(3)));
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].kind(), AlertKind::TooManyRequests);
    assert_eq!(raised[0].subject(), "client-ip 203.0.113.7");
    assert_eq!(raised[0].message(), "4 requests within 1m (limit 3)");
    assert_eq!(raised[0].time(), at(3));

    assert!(
        alerts(&mut detector, Req::at(at(4))).is_empty(),
        "one incident is one alert"
    );
    // A new window, still in the cooldown: quiet.
    for s in 100..104 {
        assert!(alerts(&mut detector, Req::at(at(s))).is_empty());
    }
    // After the cooldown, a new burst alerts again.
    let again: usize = (400..404)
        .map(|s| alerts(&mut detector, Req::at(at(s))).len())
        .sum();
    assert_eq!(again, 1);
}

#[test]
fn the_window_resets_after_it_ends() {
    let rule =
        Rule::too_many_requests(Identifier::ClientIp, nz(2), Duration::from_secs(10)).unwrap();
    let mut detector = Detector::new([rule]);
    let total: usize = (0..20)
        .map(|i| alerts(&mut detector, Req::at(at(i * 6))).len())
        .sum();
    assert_eq!(
        total, 0,
        "two requests per 10 s window never exceed the limit"
    );
}

#[test]
fn subjects_are_counted_apart() {
    let rule = Rule::too_many_requests(Identifier::ApiKey, nz(2), Duration::from_secs(60)).unwrap();
    let mut detector = Detector::new([rule]);
    for s in 0..2 {
        assert!(alerts(&mut detector, Req::at(at(s)).key("bot")).is_empty());
        assert!(alerts(&mut detector, Req::at(at(s)).key("shop")).is_empty());
    }
    assert!(
        alerts(&mut detector, Req::at(at(5))).is_empty(),
        "no key, not counted"
    );
    let raised = alerts(&mut detector, Req::at(at(9)).key("bot"));
    assert_eq!(raised[0].subject(), "api-key bot");
}

#[test]
fn too_many_lookups_of_one_phone_number_alert_with_the_number_masked() {
    let rule = Rule::too_many_requests(Identifier::Phone, nz(2), Duration::from_secs(60)).unwrap();
    let mut detector = Detector::new([rule]);
    let phone = || "+447911123456".to_owned();
    for s in 0..2 {
        assert!(
            alerts(
                &mut detector,
                Req::at(at(s)).ip("198.51.100.1").phone(phone())
            )
            .is_empty()
        );
    }
    let raised = alerts(
        &mut detector,
        Req::at(at(2)).ip("198.51.100.2").phone(phone()),
    );
    assert_eq!(raised[0].subject(), "phone +••••••••3456");
    assert!(!raised[0].to_json().contains("7911123456"));
}

#[test]
fn repeated_auth_failures_from_one_ip_alert() {
    let rule = Rule::auth_failures(nz(3), Duration::from_secs(600)).unwrap();
    let mut detector = Detector::new([rule]);
    for s in 0..50 {
        assert!(
            alerts(&mut detector, Req::at(at(s))).is_empty(),
            "successes are not failures"
        );
    }
    for s in 0..3 {
        assert!(alerts(&mut detector, Req::at(at(60 + s)).refused_by_api_key()).is_empty());
    }
    let raised = alerts(&mut detector, Req::at(at(70)).refused_by_api_key());
    assert_eq!(raised[0].kind(), AlertKind::AuthFailures);
    assert_eq!(
        raised[0].message(),
        "4 authentication failures within 10m (limit 3)"
    );

    let mut unauthorized = Req::at(at(80)).ip("192.0.2.9");
    unauthorized.status = StatusCode::UNAUTHORIZED; // the service's own 401 counts too
    let mut detector =
        Detector::new([Rule::auth_failures(nz(1), Duration::from_secs(60)).unwrap()]);
    assert!(detector.observe(&unauthorized.record()).is_empty());
    let mut again = Req::at(at(81)).ip("192.0.2.9");
    again.status = StatusCode::UNAUTHORIZED;
    assert_eq!(detector.observe(&again.record()).len(), 1);
}

fn london_shop_hours() -> BusinessHours {
    let days = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];
    BusinessHours::new("Europe/London", "08:00", "18:00")
        .unwrap()
        .days(days)
}

#[test]
fn requests_outside_business_hours_alert_in_the_shops_time_zone() {
    let rule = Rule::outside_business_hours(london_shop_hours()).cooldown(Duration::ZERO);
    let mut detector = Detector::new([rule]);

    // December: London is on GMT (UTC+0).
    assert!(
        alerts(&mut detector, Req::at(at(9 * 3600)).key("bot")).is_empty(),
        "Thu 09:00 GMT"
    );
    let late = alerts(&mut detector, Req::at(at(19 * 3600)).key("bot"));
    assert_eq!(late[0].kind(), AlertKind::OutsideBusinessHours);
    assert_eq!(late[0].subject(), "api-key bot");
    assert!(
        late[0].message().starts_with("request at Thu 19:00 GMT"),
        "{}",
        late[0].message()
    );
    // Saturday 10:00 is inside the hours but not on an open day.
    assert_eq!(
        alerts(&mut detector, Req::at(at(2 * 86_400 + 10 * 3600))).len(),
        1
    );
}

#[test]
fn business_hours_follow_daylight_saving_time() {
    let mut detector =
        Detector::new([Rule::outside_business_hours(london_shop_hours()).cooldown(Duration::ZERO)]);
    // 2026-07-02, a Thursday, 07:30 UTC is 08:30 BST: open.
    let july = UNIX_EPOCH + Duration::from_secs(1_782_977_400);
    assert!(alerts(&mut detector, Req::at(july)).is_empty());
    // The same UTC time in December is 07:30 GMT: closed.
    assert_eq!(alerts(&mut detector, Req::at(at(7 * 3600 + 1800))).len(), 1);

    // Another zone: 12:00 UTC is 07:00 in New York (EST): closed there.
    let new_york = BusinessHours::new("America/New_York", "08:00", "18:00").unwrap();
    assert!(!new_york.is_open(at(12 * 3600)));
    assert!(new_york.is_open(at(15 * 3600)));
}

#[test]
fn an_overnight_window_is_open_across_midnight() {
    let night = BusinessHours::new("UTC", "22:00", "06:00")
        .unwrap()
        .days([Weekday::Thursday, Weekday::Friday]);
    assert!(night.is_open(at(23 * 3600)));
    assert!(night.is_open(at(86_400 + 2 * 3600)));
    assert!(!night.is_open(at(12 * 3600)));
}

#[test]
fn outside_hours_alerts_have_a_cooldown_per_subject() {
    let rule =
        Rule::outside_business_hours(london_shop_hours()).cooldown(Duration::from_secs(3600));
    let mut detector = Detector::new([rule]);
    let night = |s: u64| at(22 * 3600 + s);
    assert_eq!(alerts(&mut detector, Req::at(night(0))).len(), 1);
    assert!(
        alerts(&mut detector, Req::at(night(60))).is_empty(),
        "same IP within the cooldown"
    );
    assert_eq!(
        alerts(&mut detector, Req::at(night(60)).ip("192.0.2.1")).len(),
        1,
        "another IP"
    );
    assert_eq!(
        alerts(&mut detector, Req::at(night(3600))).len(),
        1,
        "after the cooldown"
    );
}

#[test]
fn one_ip_trying_many_phone_numbers_is_enumeration() {
    let rule = Rule::phone_enumeration(nz(5), Duration::from_secs(600)).unwrap();
    let mut detector = Detector::new([rule]);
    let number = |n: u64| format!("+4479111{n:05}");

    // The same numbers again and again are not enumeration.
    for s in 0..50 {
        assert!(alerts(&mut detector, Req::at(at(s)).phone(number(s % 5))).is_empty());
    }
    let raised = alerts(&mut detector, Req::at(at(60)).phone(number(99)));
    assert_eq!(raised[0].kind(), AlertKind::PhoneEnumeration);
    assert_eq!(raised[0].subject(), "client-ip 203.0.113.7");
    assert!(
        !raised[0].to_json().contains("79111"),
        "no phone number in the alert"
    );

    // Another address has its own count.
    for n in 0..5 {
        assert!(
            alerts(
                &mut detector,
                Req::at(at(70)).ip("192.0.2.50").phone(number(n + 200))
            )
            .is_empty()
        );
    }
}

#[test]
fn enumeration_state_stays_bounded_under_a_flood() {
    let rule = Rule::phone_enumeration(nz(3), Duration::from_secs(600))
        .unwrap()
        .max_keys(NonZeroUsize::new(1000).unwrap())
        .cooldown(Duration::ZERO);
    let mut detector = Detector::new([rule]);
    let mut raised = 0;
    for n in 0..20_000u32 {
        let ip: &'static str =
            Box::leak(format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255).into_boxed_str());
        raised += alerts(
            &mut detector,
            Req::at(at(1)).ip(ip).phone(format!("+447911{n:06}")),
        )
        .len();
    }
    assert_eq!(raised, 0, "one number per address");
    assert!(
        detector.evicted() >= 19_000,
        "old addresses were forgotten: {}",
        detector.evicted()
    );
}

#[test]
fn a_key_used_from_a_new_network_alerts_and_is_learned() {
    let rule = Rule::new_network(24, 64)
        .unwrap()
        .cooldown(Duration::from_secs(3600));
    let mut detector = Detector::new([rule]);

    assert!(
        alerts(&mut detector, Req::at(at(0)).key("bot").ip("203.0.113.7")).is_empty(),
        "first network learned"
    );
    assert!(
        alerts(&mut detector, Req::at(at(1)).key("bot").ip("203.0.113.200")).is_empty(),
        "same /24"
    );
    assert!(
        alerts(&mut detector, Req::at(at(1)).ip("198.51.100.1")).is_empty(),
        "no key, no rule"
    );

    let raised = alerts(&mut detector, Req::at(at(2)).key("bot").ip("198.51.100.1"));
    assert_eq!(raised[0].kind(), AlertKind::NewNetwork);
    assert_eq!(raised[0].subject(), "api-key bot");
    assert_eq!(
        raised[0].message(),
        "used from a new network 198.51.100.0/24"
    );
    assert!(
        alerts(&mut detector, Req::at(at(3)).key("bot").ip("198.51.100.9")).is_empty(),
        "now known"
    );

    assert!(
        alerts(
            &mut detector,
            Req::at(at(4)).key("bot").ip("2001:db8:1:2::1")
        )
        .len()
            == 1
    );
    assert!(
        alerts(
            &mut detector,
            Req::at(at(5)).key("bot").ip("2001:db8:1:2:ffff::1")
        )
        .is_empty(),
        "same /64"
    );
    assert!(
        alerts(&mut detector, Req::at(at(6)).key("shop").ip("198.51.100.1")).is_empty(),
        "another key's first"
    );
}

#[test]
fn invalid_rules_are_refused_with_the_field() {
    assert_eq!(
        Rule::new_network(33, 64).unwrap_err().field(),
        "ipv4_prefix"
    );
    assert_eq!(
        Rule::new_network(24, 129).unwrap_err().field(),
        "ipv6_prefix"
    );
    assert_eq!(
        Rule::auth_failures(nz(1), Duration::ZERO)
            .unwrap_err()
            .field(),
        "window"
    );
    assert_eq!(
        BusinessHours::new("Nowhere/Land", "08:00", "18:00")
            .unwrap_err()
            .field(),
        "time_zone"
    );
    assert_eq!(
        BusinessHours::new("UTC", "8am", "18:00")
            .unwrap_err()
            .field(),
        "open"
    );
    assert_eq!(
        BusinessHours::new("UTC", "08:00", "08:00")
            .unwrap_err()
            .field(),
        "close"
    );
}
