//! The suspicious-activity detector, fed by audit records.
//!
//! A [`Detector`] holds [`Rule`]s and looks at each record in turn:
//!
//! | rule | raises an alert when |
//! | --- | --- |
//! | [`Rule::too_many_requests`] | one client IP, API key or phone number makes more than `max` requests in a window |
//! | [`Rule::auth_failures`] | one client IP fails authentication (refused by the API key or webhook signature layer, or a 401) more than `max` times in a window |
//! | [`Rule::outside_business_hours`] | a request arrives outside the opening hours, in a time zone |
//! | [`Rule::phone_enumeration`] | one client IP uses more than `max` distinct phone numbers in a window |
//! | [`Rule::new_network`] | an API key is used from a network (/24, /64 by default) it was not seen on before |
//!
//! Time is the records' own time, so a detector is deterministic: tests
//! (and replays of an audit file) drive it with the times they choose.
//! Windows are fixed: they start at the first request of a subject and
//! last `window`.
//!
//! Each rule has a cooldown per subject (default 10 minutes), so one
//! incident is one alert, and a bound on the subjects it tracks (default
//! 100 000; a flood of new subjects evicts old ones), so memory stays
//! bounded: at most `max_keys` entries per rule, plus as many cooldown
//! stamps, each with at most `max + 1` phone hashes or `max_networks`
//! networks.
//!
//! Phone numbers are tracked as keyed 64-bit hashes (SipHash with a
//! per-detector random key), never as numbers.
//!
//! # Example
//!
//! ```
//! use std::num::NonZeroU32;
//! use std::time::{Duration, SystemTime};
//! use http::{Method, StatusCode};
//! use rimguard_audit::{Detector, Identifier, Outcome, PendingRecord, RequestId, Rule};
//!
//! let rule = Rule::too_many_requests(Identifier::ClientIp, NonZeroU32::new(2).unwrap(), Duration::from_secs(60))
//!     .unwrap()
//!     .named("burst");
//! let mut detector = Detector::new([rule]);
//!
//! let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
//! let request = || {
//!     PendingRecord::new(at, RequestId::generate(), Method::GET, "/".parse().unwrap())
//!         .client_ip("203.0.113.7".parse().unwrap())
//!         .finish(StatusCode::OK, Duration::ZERO, Outcome::Allowed)
//! };
//! assert!(detector.observe(&request()).is_empty());
//! assert!(detector.observe(&request()).is_empty());
//! let alerts = detector.observe(&request());
//! assert_eq!(alerts[0].rule(), "burst");
//! assert_eq!(alerts[0].subject(), "client-ip 203.0.113.7");
//! ```

mod bounded;
mod hours;

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::io;
use std::net::IpAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;
use std::time::Duration;

use rimguard_core::{ApiKeyId, ConfigError};

pub use hours::{BusinessHours, Weekday};

use self::bounded::Bounded;
use crate::alert::{Alert, AlertKind, AlertSender};
use crate::record::AuditRecord;
use crate::sink::{FlushPolicy, OnFull, QueueOptions, QueuedSink, RecordWriter, SinkGuard};
use crate::time::unix_micros;

/// Records that wake the detector's thread at once.
const DETECTOR_BATCH: NonZeroU32 = NonZeroU32::new(256).expect("256 is not zero");

/// The longest a record waits for the detector.
const DETECTOR_DELAY: Duration = Duration::from_millis(20);

/// The default cooldown per rule and subject.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(600);

/// The default bound on the subjects one rule tracks.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// What a [`Rule::too_many_requests`] counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Identifier {
    /// The client IP.
    ClientIp,
    /// The API key id.
    ApiKey,
    /// The caller's phone number (as a keyed hash).
    Phone,
}

/// One detection rule; see the [module docs](self).
#[derive(Clone)]
pub struct Rule {
    name: Arc<str>,
    cooldown: Duration,
    max_keys: NonZeroUsize,
    kind: RuleKind,
}

#[derive(Clone)]
enum RuleKind {
    TooMany {
        key: Identifier,
        max: NonZeroU32,
        window: Duration,
    },
    AuthFailures {
        max: NonZeroU32,
        window: Duration,
    },
    Hours(BusinessHours),
    Enumeration {
        max: NonZeroU32,
        window: Duration,
    },
    NewNetwork {
        ipv4_prefix: u8,
        ipv6_prefix: u8,
        max_networks: NonZeroU32,
    },
}

fn check_window(window: Duration) -> Result<Duration, ConfigError> {
    if window.is_zero() {
        return Err(ConfigError::new("window", "must be longer than zero"));
    }
    Ok(window)
}

impl Rule {
    fn with_kind(name: &str, kind: RuleKind) -> Self {
        Self {
            name: name.into(),
            cooldown: DEFAULT_COOLDOWN,
            max_keys: NonZeroUsize::new(DEFAULT_MAX_KEYS).expect("100 000 is not zero"),
            kind,
        }
    }

    /// More than `max` requests by one `key` within `window`.
    ///
    /// # Errors
    ///
    /// When `window` is zero (field `window`).
    pub fn too_many_requests(
        key: Identifier,
        max: NonZeroU32,
        window: Duration,
    ) -> Result<Self, ConfigError> {
        let window = check_window(window)?;
        Ok(Self::with_kind(
            "too-many-requests",
            RuleKind::TooMany { key, max, window },
        ))
    }

    /// More than `max` authentication failures by one client IP within
    /// `window`.
    ///
    /// # Errors
    ///
    /// When `window` is zero (field `window`).
    pub fn auth_failures(max: NonZeroU32, window: Duration) -> Result<Self, ConfigError> {
        let window = check_window(window)?;
        Ok(Self::with_kind(
            "auth-failures",
            RuleKind::AuthFailures { max, window },
        ))
    }

    /// A request outside `hours`; the subject is the API key when there is
    /// one, else the client IP.
    pub fn outside_business_hours(hours: BusinessHours) -> Self {
        Self::with_kind("outside-business-hours", RuleKind::Hours(hours))
    }

    /// More than `max` distinct phone numbers from one client IP within
    /// `window`.
    ///
    /// # Errors
    ///
    /// When `window` is zero (field `window`).
    pub fn phone_enumeration(max: NonZeroU32, window: Duration) -> Result<Self, ConfigError> {
        let window = check_window(window)?;
        Ok(Self::with_kind(
            "phone-enumeration",
            RuleKind::Enumeration { max, window },
        ))
    }

    /// An API key used from a network it has not been seen on: IPv4
    /// addresses grouped by `ipv4_prefix` bits, IPv6 by `ipv6_prefix`. The
    /// first network of a key is learned without an alert; each key
    /// remembers its 16 most recent networks (see
    /// [`max_networks`](Self::max_networks)).
    ///
    /// # Errors
    ///
    /// When a prefix is longer than the address (fields `ipv4_prefix`,
    /// `ipv6_prefix`).
    pub fn new_network(ipv4_prefix: u8, ipv6_prefix: u8) -> Result<Self, ConfigError> {
        if ipv4_prefix > 32 {
            return Err(ConfigError::new("ipv4_prefix", "must be at most 32"));
        }
        if ipv6_prefix > 128 {
            return Err(ConfigError::new("ipv6_prefix", "must be at most 128"));
        }
        let max_networks = NonZeroU32::new(16).expect("16 is not zero");
        let kind = RuleKind::NewNetwork {
            ipv4_prefix,
            ipv6_prefix,
            max_networks,
        };
        Ok(Self::with_kind("new-network", kind))
    }

    /// Names the rule (the name is in its alerts).
    pub fn named(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = name.into();
        self
    }

    /// The quiet time after an alert for the same subject (default 10 min).
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The most subjects the rule tracks (default 100 000).
    pub fn max_keys(mut self, max_keys: NonZeroUsize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// For [`new_network`](Self::new_network): networks remembered per key.
    pub fn max_networks(mut self, max: NonZeroU32) -> Self {
        if let RuleKind::NewNetwork { max_networks, .. } = &mut self.kind {
            *max_networks = max;
        }
        self
    }

    /// The rule's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("name", &self.name)
            .field("cooldown", &self.cooldown)
            .field("max_keys", &self.max_keys)
            .finish_non_exhaustive()
    }
}

/// Who a rule's state and cooldown are about.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Subject {
    Ip(IpAddr),
    Key(ApiKeyId),
    Phone(u64),
    KeyNetwork(ApiKeyId, IpAddr),
    Unknown,
}

struct Window {
    start: i64,
    count: u32,
}

struct Phones {
    start: i64,
    seen: Vec<u64>,
}

enum State {
    Counts(Bounded<Subject, Window>),
    Phones(Bounded<Subject, Phones>),
    Networks(Bounded<Subject, Vec<IpAddr>>),
    Stateless,
}

struct Armed {
    rule: Rule,
    state: State,
    last_alert: Bounded<Subject, i64>,
}

/// Runs [`Rule`]s over audit records; see the [module docs](self).
pub struct Detector {
    rules: Vec<Armed>,
    hasher: RandomState,
}

/// What a rule found in one record, before the cooldown.
struct Finding {
    kind: AlertKind,
    subject: Subject,
    text: String,
    message: String,
}

impl Detector {
    /// A detector running `rules`.
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Self {
        let rules = rules.into_iter().map(Armed::new).collect();
        Self {
            rules,
            hasher: RandomState::new(),
        }
    }

    /// Looks at one record; the alerts it raises (after cooldowns).
    pub fn observe(&mut self, record: &AuditRecord) -> Vec<Alert> {
        let now = unix_micros(record.time());
        let phone = record.phone_e164().map(|p| self.hasher.hash_one(p));
        let mut alerts = Vec::new();
        for armed in &mut self.rules {
            let Some(finding) = armed.check(record, now, phone) else {
                continue;
            };
            if armed.cooled_down(&finding.subject, now) {
                let alert = Alert::new(
                    finding.kind,
                    armed.rule.name.clone(),
                    finding.text,
                    finding.message,
                )
                .at(record.time())
                .with_request_id(*record.request_id());
                alerts.push(alert);
            }
        }
        alerts
    }

    /// Subjects forgotten to stay within the bounds, over all rules.
    pub fn evicted(&self) -> u64 {
        self.rules.iter().map(Armed::evicted).sum()
    }

    /// Runs the detector on its own thread, fed through a bounded queue
    /// that drops (and counts) records rather than slow requests down, and
    /// sending its alerts to `alerts`. The thread wakes at most once every
    /// 256 records or 20 ms, so an alert follows its record by 20 ms at
    /// most (and at once after [`QueuedSink::flush`]).
    ///
    /// # Errors
    ///
    /// When the thread cannot be started.
    pub fn spawn(
        self,
        alerts: AlertSender,
        capacity: NonZeroUsize,
    ) -> io::Result<(QueuedSink, SinkGuard)> {
        let options = QueueOptions {
            capacity,
            on_full: OnFull::DropAndCount,
            // The detector keeps no output to flush: a batch only decides
            // when its thread wakes, at most every 256 records or 20 ms,
            // which is how late an alert can be.
            flush: FlushPolicy::Batch {
                max_records: DETECTOR_BATCH,
                max_delay: DETECTOR_DELAY,
            },
        };
        QueuedSink::spawn(
            "detector",
            DetectorWriter {
                detector: self,
                alerts,
            },
            options,
            None,
        )
    }
}

impl fmt::Debug for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.rules.iter().map(|a| &*a.rule.name).collect();
        f.debug_struct("Detector")
            .field("rules", &names)
            .finish_non_exhaustive()
    }
}

/// Feeds a detector's queue: a record shared with other sinks (through
/// [`Fanout`](crate::Fanout)) is copied with only the fields the rules
/// read ([`AuditRecord::for_detection`]), so the request's thread does not
/// clone the target, route and user agent for it.
///
/// Every rule reads only those fields; a rule that needs another must add
/// it to `for_detection`.
#[derive(Clone, Debug)]
pub(crate) struct DetectorFeed(pub(crate) QueuedSink);

impl crate::AuditSink for DetectorFeed {
    fn submit(&self, record: AuditRecord) {
        self.0.submit(record);
    }

    fn submit_ref(&self, record: &AuditRecord) {
        self.0.submit(record.for_detection());
    }
}

struct DetectorWriter {
    detector: Detector,
    alerts: AlertSender,
}

impl RecordWriter for DetectorWriter {
    fn write_record(&mut self, record: &AuditRecord) -> io::Result<()> {
        for alert in self.detector.observe(record) {
            self.alerts.send(alert);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn subject_text(subject: &Subject, record: &AuditRecord) -> String {
    match subject {
        Subject::Ip(ip) => format!("client-ip {ip}"),
        Subject::Key(key) => format!("api-key {key}"),
        Subject::Phone(_) => match record.phone() {
            Some(masked) => format!("phone {masked}"),
            None => "phone".to_owned(),
        },
        Subject::KeyNetwork(key, _) => format!("api-key {key}"),
        Subject::Unknown => "unknown client".to_owned(),
    }
}

fn ip_subject(record: &AuditRecord) -> Subject {
    record.client_ip().map_or(Subject::Unknown, Subject::Ip)
}

fn network_of(ip: IpAddr, v4: u8, v6: u8) -> IpAddr {
    match ip {
        IpAddr::V4(addr) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(v4)).unwrap_or(0);
            IpAddr::from((u32::from(addr) & mask).to_be_bytes())
        }
        IpAddr::V6(addr) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(v6)).unwrap_or(0);
            IpAddr::from((u128::from(addr) & mask).to_be_bytes())
        }
    }
}

impl Armed {
    fn new(rule: Rule) -> Self {
        let cap = rule.max_keys.get();
        let state = match rule.kind {
            RuleKind::TooMany { .. } | RuleKind::AuthFailures { .. } => {
                State::Counts(Bounded::new(cap))
            }
            RuleKind::Enumeration { .. } => State::Phones(Bounded::new(cap)),
            RuleKind::NewNetwork { .. } => State::Networks(Bounded::new(cap)),
            RuleKind::Hours(_) => State::Stateless,
        };
        Self {
            rule,
            state,
            last_alert: Bounded::new(cap),
        }
    }

    fn evicted(&self) -> u64 {
        let state = match &self.state {
            State::Counts(map) => map.evicted(),
            State::Phones(map) => map.evicted(),
            State::Networks(map) => map.evicted(),
            State::Stateless => 0,
        };
        state + self.last_alert.evicted()
    }

    /// Whether an alert for `subject` may go out now; stamps it if so.
    fn cooled_down(&mut self, subject: &Subject, now: i64) -> bool {
        let cooldown = micros(self.rule.cooldown);
        if let Some(&last) = self.last_alert.get(subject)
            && now.saturating_sub(last) < cooldown
        {
            return false;
        }
        let stamp = self.last_alert.entry(
            subject.clone(),
            |&at| now.saturating_sub(at) >= cooldown,
            || now,
        );
        *stamp = now;
        true
    }

    fn check(&mut self, record: &AuditRecord, now: i64, phone: Option<u64>) -> Option<Finding> {
        match (&self.rule.kind, &mut self.state) {
            (RuleKind::TooMany { key, max, window }, State::Counts(counts)) => {
                too_many(counts, record, now, phone, (*key, *max, *window))
            }
            (RuleKind::AuthFailures { max, window }, State::Counts(counts)) => {
                auth_failures(counts, record, now, *max, *window)
            }
            (RuleKind::Hours(hours), State::Stateless) => outside_hours(hours, record),
            (RuleKind::Enumeration { max, window }, State::Phones(sets)) => {
                enumeration(sets, record, now, phone?, *max, *window)
            }
            (
                RuleKind::NewNetwork {
                    ipv4_prefix,
                    ipv6_prefix,
                    max_networks,
                },
                State::Networks(known),
            ) => new_network(known, record, (*ipv4_prefix, *ipv6_prefix), *max_networks),
            _ => None,
        }
    }
}

fn too_many(
    counts: &mut Bounded<Subject, Window>,
    record: &AuditRecord,
    now: i64,
    phone: Option<u64>,
    (key, max, window): (Identifier, NonZeroU32, Duration),
) -> Option<Finding> {
    let subject = match key {
        Identifier::ClientIp => ip_subject(record),
        Identifier::ApiKey => Subject::Key(record.api_key()?.clone()),
        Identifier::Phone => Subject::Phone(phone?),
    };
    let count = count(counts, subject.clone(), now, micros(window));

    let window = humantime::format_duration(window);
    (count > max.get()).then(|| Finding {
        kind: AlertKind::TooManyRequests,
        text: subject_text(&subject, record),
        message: format!("{count} requests within {window} (limit {max})"),
        subject,
    })
}

fn auth_failures(
    counts: &mut Bounded<Subject, Window>,
    record: &AuditRecord,
    now: i64,
    max: NonZeroU32,
    window: Duration,
) -> Option<Finding> {
    let failed = record.outcome().is_auth_failure()
        || record.status() == Some(http::StatusCode::UNAUTHORIZED);
    if !failed {
        return None;
    }
    let subject = ip_subject(record);
    let count = count(counts, subject.clone(), now, micros(window));

    let window = humantime::format_duration(window);
    (count > max.get()).then(|| Finding {
        kind: AlertKind::AuthFailures,
        text: subject_text(&subject, record),
        message: format!("{count} authentication failures within {window} (limit {max})"),
        subject,
    })
}

fn outside_hours(hours: &BusinessHours, record: &AuditRecord) -> Option<Finding> {
    let local = hours.outside(record.time())?;
    let subject = match record.api_key() {
        Some(key) => Subject::Key(key.clone()),
        None => ip_subject(record),
    };
    Some(Finding {
        kind: AlertKind::OutsideBusinessHours,
        text: subject_text(&subject, record),
        message: format!("request at {local}, outside business hours ({hours})"),
        subject,
    })
}

fn enumeration(
    sets: &mut Bounded<Subject, Phones>,
    record: &AuditRecord,
    now: i64,
    phone: u64,
    max: NonZeroU32,
    window: Duration,
) -> Option<Finding> {
    let subject = ip_subject(record);
    let span = micros(window);
    let limit = max.get() as usize;
    let fresh = || Phones {
        start: now,
        seen: Vec::new(),
    };
    let set = sets.entry(
        subject.clone(),
        |s| now.saturating_sub(s.start) >= span,
        fresh,
    );
    if now.saturating_sub(set.start) >= span {
        *set = fresh();
    }

    // At most `max + 1` hashes are kept: enough to know the limit is passed.
    if !set.seen.contains(&phone) && set.seen.len() <= limit {
        set.seen.push(phone);
    }
    let window = humantime::format_duration(window);
    (set.seen.len() > limit).then(|| Finding {
        kind: AlertKind::PhoneEnumeration,
        text: subject_text(&subject, record),
        message: format!("more than {max} distinct phone numbers within {window}"),
        subject,
    })
}

fn new_network(
    known: &mut Bounded<Subject, Vec<IpAddr>>,
    record: &AuditRecord,
    (v4, v6): (u8, u8),
    max_networks: NonZeroU32,
) -> Option<Finding> {
    let key = record.api_key()?.clone();
    let network = network_of(record.client_ip()?, v4, v6);
    let networks = known.entry(Subject::Key(key.clone()), |_| false, Vec::new);
    if networks.contains(&network) {
        return None;
    }

    let first = networks.is_empty();
    if networks.len() >= max_networks.get() as usize {
        networks.remove(0);
    }
    networks.push(network);
    if first {
        return None;
    }

    let prefix = if network.is_ipv4() { v4 } else { v6 };
    let subject = Subject::KeyNetwork(key, network);
    Some(Finding {
        kind: AlertKind::NewNetwork,
        text: subject_text(&subject, record),
        message: format!("used from a new network {network}/{prefix}"),
        subject,
    })
}

/// Counts one event for `subject` in its fixed window; the count so far.
fn count(counts: &mut Bounded<Subject, Window>, subject: Subject, now: i64, window: i64) -> u32 {
    let entry = counts.entry(
        subject,
        |w| now.saturating_sub(w.start) >= window,
        || Window {
            start: now,
            count: 0,
        },
    );
    if now.saturating_sub(entry.start) >= window {
        *entry = Window {
            start: now,
            count: 0,
        };
    }
    entry.count = entry.count.saturating_add(1);
    entry.count
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::num::NonZeroU32;
    use std::time::{Duration, SystemTime};

    use http::{HeaderValue, Method, StatusCode};
    use rimguard_core::{ApiKeyId, CallerPhone, Layer};

    use super::{Detector, Identifier, Rule};
    use crate::record::{AuditRecord, Outcome, PendingRecord};
    use crate::request_id::RequestId;

    fn record(n: u32, refused: bool) -> AuditRecord {
        let ip: IpAddr = format!("203.0.113.{}", n % 3).parse().unwrap();
        let phone = CallerPhone::from_e164(&format!("+4479111{n:05}")).unwrap();
        let outcome = if refused {
            Outcome::Refused {
                layer: Layer::ApiKey,
                code: "api-key-invalid",
            }
        } else {
            Outcome::Allowed
        };
        let status = if refused {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        };
        PendingRecord::new(
            SystemTime::now(),
            RequestId::generate(),
            Method::GET,
            "/customers?phone=%2B447911123456".parse().unwrap(),
        )
        .client_ip(ip)
        .api_key(ApiKeyId::new("bot-1234"))
        .phone(phone)
        .user_agent(&HeaderValue::from_static("curl/8"), 64)
        .finish(status, Duration::from_millis(2), outcome)
    }

    fn detector() -> Detector {
        let nz = |n| NonZeroU32::new(n).unwrap();
        let window = Duration::from_secs(600);
        Detector::new([
            Rule::too_many_requests(Identifier::ClientIp, nz(20), window).unwrap(),
            Rule::too_many_requests(Identifier::ApiKey, nz(30), window).unwrap(),
            Rule::too_many_requests(Identifier::Phone, nz(2), window).unwrap(),
            Rule::auth_failures(nz(3), window).unwrap(),
            Rule::phone_enumeration(nz(4), window).unwrap(),
            Rule::new_network(24, 48).unwrap(),
        ])
    }

    #[test]
    fn the_copy_for_detection_raises_the_same_alerts_as_the_record() {
        let (mut whole, mut slim) = (detector(), detector());
        let mut raised = 0;
        for n in 0..60 {
            let record = record(n, n % 4 == 0);
            let copy = record.for_detection();
            assert_eq!(copy.path(), "/", "the target is left out");
            let kinds = |alerts: Vec<crate::Alert>| {
                alerts
                    .iter()
                    .map(|a| (a.kind(), a.subject().to_owned()))
                    .collect::<Vec<_>>()
            };
            let expected = kinds(whole.observe(&record));
            raised += expected.len();
            assert_eq!(kinds(slim.observe(&copy)), expected, "record {n}");
        }
        assert!(raised > 0, "the records raise alerts");
    }
}
