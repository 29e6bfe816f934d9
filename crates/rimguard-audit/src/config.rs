//! The `[audit]` section of `rimguard.toml`.
//!
//! ```toml
//! [audit]
//! file = "audit/rimguard.jsonl"
//! flush = "every-record"            # or { batch = { records = 64, ms = 100 } }
//! rotate = { max_bytes = 104857600, daily = true }
//! on_full = "block"                 # or "drop-and-count"
//! capacity = 8192
//! fsync = false
//! verify_on_open = true             # check the existing chain at start-up, alert if broken
//! tracing = false                   # also emit each record on `rimguard::audit`
//! mask_query = ["token", "phone"]   # default: DEFAULT_MASKED_PARAMS
//! user_agent_max = 256
//! alerts = [{ webhook = "http://127.0.0.1:9000/alerts", timeout = "2s", retries = 3 },
//!           { log = true }]
//!
//! [[audit.rules]]
//! kind = "too-many-requests"
//! key = "client-ip"                 # or "api-key", "phone"
//! max = 300
//! window = "1m"
//!
//! [[audit.rules]]
//! kind = "auth-failures"
//! max = 5
//! window = "10m"
//!
//! [[audit.rules]]
//! kind = "outside-business-hours"
//! time_zone = "Europe/London"
//! open = "08:00"
//! close = "18:00"
//! days = ["mon", "tue", "wed", "thu", "fri", "sat"]
//!
//! [[audit.rules]]
//! kind = "phone-enumeration"
//! max = 10
//! window = "10m"
//!
//! [[audit.rules]]
//! kind = "new-network"
//! ipv4_prefix = 24
//! ipv6_prefix = 64
//! ```
//!
//! Every rule also takes `name`, `cooldown` (default `"10m"`) and
//! `max_keys` (default 100 000). With no `alerts`, alerts are logged at
//! WARN. With no `file`, no `tracing` and no rules, records go to the
//! tracing sink.
//!
//! # Example
//!
//! ```
//! use rimguard_audit::AuditConfig;
//!
//! let config: AuditConfig = toml::from_str(r#"
//!     flush = { batch = { records = 64, ms = 100 } }
//!     rules = [{ kind = "auth-failures", max = 5, window = "10m" }]
//! "#).unwrap();
//! assert!(config.validate().is_ok());
//!
//! let config: AuditConfig = toml::from_str(r#"rules = [{ kind = "auth-failures", max = 5, window = "soon" }]"#).unwrap();
//! assert_eq!(config.validate().unwrap_err().field(), "rules[0].window");
//! ```

use std::fmt;
use std::io;
use std::num::{NonZeroU32, NonZeroU64, NonZeroUsize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rimguard_core::ConfigError;
use serde::{Deserialize, Serialize};

use crate::alert::{AlertGuard, AlertSender, AlertSink, Alerts, LogAlerts};
use crate::detect::{BusinessHours, Detector, Identifier, Rule, Weekday};
use crate::mask::QueryMask;
use crate::middleware::AuditLayer;
use crate::record::DEFAULT_USER_AGENT_MAX;
use crate::sink::{
    AuditSink, Fanout, FileSink, FlushPolicy, OnFull, QueuedSink, Rotation, SinkGuard, SinkStats,
    TracingSink,
};

/// The `[audit]` section; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The active audit file; rotated segments go beside it.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// When the file is flushed.
    #[serde(default)]
    pub flush: FlushConfig,
    /// When the file rotates.
    #[serde(default)]
    pub rotate: RotateConfig,
    /// What a full queue does.
    #[serde(default)]
    pub on_full: OnFullConfig,
    /// Records the file's queue holds (default 8192).
    #[serde(default = "default_capacity")]
    pub capacity: usize,
    /// `fdatasync` at each flush.
    #[serde(default)]
    pub fsync: bool,
    /// Verify the existing chain at start-up and alert if it is broken.
    #[serde(default)]
    pub verify_on_open: bool,
    /// Also emit each record as a `tracing` event.
    #[serde(default)]
    pub tracing: bool,
    /// Query parameters whose values are masked.
    #[serde(default)]
    pub mask_query: Option<Vec<String>>,
    /// The longest user agent kept, in bytes.
    #[serde(default = "default_user_agent_max")]
    pub user_agent_max: usize,
    /// Where alerts go.
    #[serde(default)]
    pub alerts: Vec<AlertConfig>,
    /// Detection rules.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

fn default_capacity() -> usize {
    8192
}

fn default_user_agent_max() -> usize {
    DEFAULT_USER_AGENT_MAX
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            file: None,
            flush: FlushConfig::default(),
            rotate: RotateConfig::default(),
            on_full: OnFullConfig::default(),
            capacity: default_capacity(),
            fsync: false,
            verify_on_open: false,
            tracing: false,
            mask_query: None,
            user_agent_max: default_user_agent_max(),
            alerts: Vec::new(),
            rules: Vec::new(),
        }
    }
}

/// `flush = "every-record"` or `flush = { batch = { records, ms } }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum FlushConfig {
    /// [`FlushPolicy::EveryRecord`].
    #[default]
    EveryRecord,
    /// [`FlushPolicy::Batch`].
    Batch {
        /// Most records held.
        records: u32,
        /// Longest a record is held, in milliseconds.
        ms: u64,
    },
}

/// `rotate = { max_bytes = …, daily = … }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RotateConfig {
    /// Rotate once the file holds this many bytes.
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Rotate at each new UTC day.
    #[serde(default)]
    pub daily: bool,
}

/// `on_full = "block"` or `"drop-and-count"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnFullConfig {
    /// [`OnFull::Block`].
    #[default]
    Block,
    /// [`OnFull::DropAndCount`].
    DropAndCount,
}

/// One alert sink: `{ webhook = "http://…", timeout = "5s", retries = 3 }`
/// or `{ log = true }`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// An `http://` URL to POST alerts to. It must not hold a secret.
    #[serde(default)]
    pub webhook: Option<String>,
    /// A WARN log of each alert on `rimguard::audit`.
    #[serde(default)]
    pub log: Option<bool>,
    /// Time per webhook attempt (default `"5s"`).
    #[serde(default)]
    pub timeout: Option<String>,
    /// Webhook attempts after the first (default 3).
    #[serde(default)]
    pub retries: Option<u32>,
}

/// What a rate rule counts by: `"client-ip"`, `"api-key"` or `"phone"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentifierConfig {
    /// [`Identifier::ClientIp`].
    ClientIp,
    /// [`Identifier::ApiKey`].
    ApiKey,
    /// [`Identifier::Phone`].
    Phone,
}

/// One `[[audit.rules]]` entry, by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum RuleConfig {
    /// [`Rule::too_many_requests`].
    TooManyRequests {
        /// What to count by.
        key: IdentifierConfig,
        /// Requests allowed in a window.
        max: u32,
        /// The window, such as `"1m"`.
        window: String,
        /// The rule's name in alerts.
        #[serde(default)]
        name: Option<String>,
        /// Quiet time per subject after an alert.
        #[serde(default)]
        cooldown: Option<String>,
        /// Most subjects tracked.
        #[serde(default)]
        max_keys: Option<usize>,
    },
    /// [`Rule::auth_failures`].
    AuthFailures {
        /// Failures allowed in a window.
        max: u32,
        /// The window.
        window: String,
        /// The rule's name in alerts.
        #[serde(default)]
        name: Option<String>,
        /// Quiet time per subject after an alert.
        #[serde(default)]
        cooldown: Option<String>,
        /// Most subjects tracked.
        #[serde(default)]
        max_keys: Option<usize>,
    },
    /// [`Rule::outside_business_hours`].
    OutsideBusinessHours {
        /// An IANA time zone, such as `"Europe/London"`.
        time_zone: String,
        /// Opening time, `"HH:MM"`.
        open: String,
        /// Closing time, `"HH:MM"`.
        close: String,
        /// Days open (`"mon"` … `"sun"`; default Monday to Friday).
        #[serde(default)]
        days: Option<Vec<String>>,
        /// The rule's name in alerts.
        #[serde(default)]
        name: Option<String>,
        /// Quiet time per subject after an alert.
        #[serde(default)]
        cooldown: Option<String>,
        /// Most subjects tracked.
        #[serde(default)]
        max_keys: Option<usize>,
    },
    /// [`Rule::phone_enumeration`].
    PhoneEnumeration {
        /// Distinct numbers allowed in a window.
        max: u32,
        /// The window.
        window: String,
        /// The rule's name in alerts.
        #[serde(default)]
        name: Option<String>,
        /// Quiet time per subject after an alert.
        #[serde(default)]
        cooldown: Option<String>,
        /// Most subjects tracked.
        #[serde(default)]
        max_keys: Option<usize>,
    },
    /// [`Rule::new_network`].
    NewNetwork {
        /// IPv4 network prefix (default 24).
        #[serde(default)]
        ipv4_prefix: Option<u8>,
        /// IPv6 network prefix (default 64).
        #[serde(default)]
        ipv6_prefix: Option<u8>,
        /// Networks remembered per key (default 16).
        #[serde(default)]
        max_networks: Option<u32>,
        /// The rule's name in alerts.
        #[serde(default)]
        name: Option<String>,
        /// Quiet time per subject after an alert.
        #[serde(default)]
        cooldown: Option<String>,
        /// Most subjects tracked.
        #[serde(default)]
        max_keys: Option<usize>,
    },
}

fn duration(field: &str, text: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(text).map_err(|_| {
        ConfigError::new(
            field,
            "expected a duration such as \"90s\", \"10m\" or \"1d\"",
        )
    })
}

fn non_zero(field: &str, value: u32) -> Result<NonZeroU32, ConfigError> {
    NonZeroU32::new(value).ok_or_else(|| ConfigError::new(field, "must not be zero"))
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

impl RuleConfig {
    /// The rule.
    ///
    /// # Errors
    ///
    /// A field that is out of range or does not parse, named relative to
    /// the rule (`window`, `days[2]`, …).
    pub fn to_rule(&self) -> Result<Rule, ConfigError> {
        let (rule, name, cooldown, max_keys) = match self {
            Self::TooManyRequests {
                key,
                max,
                window,
                name,
                cooldown,
                max_keys,
            } => {
                let key = match key {
                    IdentifierConfig::ClientIp => Identifier::ClientIp,
                    IdentifierConfig::ApiKey => Identifier::ApiKey,
                    IdentifierConfig::Phone => Identifier::Phone,
                };
                let rule = Rule::too_many_requests(
                    key,
                    non_zero("max", *max)?,
                    duration("window", window)?,
                )?;
                (rule, name, cooldown, max_keys)
            }
            Self::AuthFailures {
                max,
                window,
                name,
                cooldown,
                max_keys,
            } => {
                let rule =
                    Rule::auth_failures(non_zero("max", *max)?, duration("window", window)?)?;
                (rule, name, cooldown, max_keys)
            }
            Self::OutsideBusinessHours {
                time_zone,
                open,
                close,
                days,
                name,
                cooldown,
                max_keys,
            } => {
                let mut hours = BusinessHours::new(time_zone, open, close)?;
                if let Some(days) = days {
                    let parsed = days.iter().enumerate().map(|(i, d)| {
                        weekday(d).ok_or_else(|| {
                            ConfigError::new(format!("days[{i}]"), "expected mon … sun")
                        })
                    });
                    hours = hours.days(parsed.collect::<Result<Vec<_>, _>>()?);
                }
                (
                    Rule::outside_business_hours(hours),
                    name,
                    cooldown,
                    max_keys,
                )
            }
            Self::PhoneEnumeration {
                max,
                window,
                name,
                cooldown,
                max_keys,
            } => {
                let rule =
                    Rule::phone_enumeration(non_zero("max", *max)?, duration("window", window)?)?;
                (rule, name, cooldown, max_keys)
            }
            Self::NewNetwork {
                ipv4_prefix,
                ipv6_prefix,
                max_networks,
                name,
                cooldown,
                max_keys,
            } => {
                let mut rule =
                    Rule::new_network(ipv4_prefix.unwrap_or(24), ipv6_prefix.unwrap_or(64))?;
                if let Some(max) = max_networks {
                    rule = rule.max_networks(non_zero("max_networks", *max)?);
                }
                (rule, name, cooldown, max_keys)
            }
        };

        let mut rule = rule;
        if let Some(name) = name {
            rule = rule.named(name.as_str());
        }
        if let Some(cooldown) = cooldown {
            rule = rule.cooldown(duration("cooldown", cooldown)?);
        }
        if let Some(max_keys) = max_keys {
            let max_keys = NonZeroUsize::new(*max_keys)
                .ok_or_else(|| ConfigError::new("max_keys", "must not be zero"))?;
            rule = rule.max_keys(max_keys);
        }
        Ok(rule)
    }
}

impl AlertConfig {
    /// The alert sink.
    ///
    /// # Errors
    ///
    /// When neither or both of `webhook` and `log` are set, or a value does
    /// not parse.
    pub fn to_sink(&self) -> Result<Arc<dyn AlertSink>, ConfigError> {
        match (&self.webhook, self.log) {
            (Some(url), None) => self.webhook_sink(url),
            (None, Some(true)) => {
                if self.timeout.is_some() || self.retries.is_some() {
                    return Err(ConfigError::new(
                        "timeout",
                        "only a webhook takes timeout and retries",
                    ));
                }
                Ok(Arc::new(LogAlerts::new()))
            }
            (None, Some(false)) => Err(ConfigError::new(
                "log",
                "remove the entry instead of log = false",
            )),
            (None, None) => Err(ConfigError::new("", "set either webhook or log")),
            (Some(_), Some(_)) => Err(ConfigError::new(
                "log",
                "an entry is either a webhook or a log",
            )),
        }
    }

    #[cfg(feature = "webhook")]
    fn webhook_sink(&self, url: &str) -> Result<Arc<dyn AlertSink>, ConfigError> {
        let mut webhook = crate::alert::WebhookAlerts::new(url)?;
        if let Some(timeout) = &self.timeout {
            webhook = webhook.timeout(duration("timeout", timeout)?);
        }
        if let Some(retries) = self.retries {
            webhook = webhook.retries(retries);
        }
        Ok(Arc::new(webhook))
    }

    #[cfg(not(feature = "webhook"))]
    fn webhook_sink(&self, _url: &str) -> Result<Arc<dyn AlertSink>, ConfigError> {
        Err(ConfigError::new(
            "webhook",
            "built without the `webhook` feature",
        ))
    }
}

impl AuditConfig {
    fn flush_policy(&self) -> Result<FlushPolicy, ConfigError> {
        Ok(match self.flush {
            FlushConfig::EveryRecord => FlushPolicy::EveryRecord,
            FlushConfig::Batch { records, ms } => FlushPolicy::Batch {
                max_records: non_zero("records", records).map_err(|e| e.within("flush.batch"))?,
                max_delay: match ms {
                    0 => return Err(ConfigError::new("flush.batch.ms", "must not be zero")),
                    ms => Duration::from_millis(ms),
                },
            },
        })
    }

    fn rotation(&self) -> Result<Rotation, ConfigError> {
        let mut rotation = match self.rotate.max_bytes {
            Some(0) => return Err(ConfigError::new("rotate.max_bytes", "must not be zero")),
            Some(bytes) => {
                Rotation::max_bytes(NonZeroU64::new(bytes).expect("zero is refused above"))
            }
            None => Rotation::never(),
        };
        if self.rotate.daily {
            rotation = rotation.and_daily();
        }
        Ok(rotation)
    }

    /// The detection rules.
    ///
    /// # Errors
    ///
    /// The first invalid rule, as `rules[i].field`.
    pub fn detection_rules(&self) -> Result<Vec<Rule>, ConfigError> {
        let rules = self.rules.iter().enumerate();
        rules
            .map(|(i, rule)| rule.to_rule().map_err(|e| e.within(&format!("rules[{i}]"))))
            .collect()
    }

    fn alert_sinks(&self) -> Result<Vec<Arc<dyn AlertSink>>, ConfigError> {
        let alerts = self.alerts.iter().enumerate();
        alerts
            .map(|(i, alert)| {
                alert
                    .to_sink()
                    .map_err(|e| e.within(&format!("alerts[{i}]")))
            })
            .collect()
    }

    /// Checks every value without opening files or starting threads.
    ///
    /// # Errors
    ///
    /// The first invalid field, with its path inside `[audit]`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.flush_policy()?;
        self.rotation()?;
        if self.capacity == 0 {
            return Err(ConfigError::new("capacity", "must not be zero"));
        }
        if self.user_agent_max == 0 {
            return Err(ConfigError::new("user_agent_max", "must not be zero"));
        }
        self.detection_rules()?;
        self.alert_sinks()?;
        Ok(())
    }

    /// Opens the file, starts the writer, detector and alert threads, and
    /// makes the layer.
    ///
    /// # Errors
    ///
    /// An invalid field (as [`validate`](Self::validate)), or field `file`
    /// when the file cannot be opened or continued.
    pub fn build(&self) -> Result<AuditPipeline, ConfigError> {
        self.validate()?;
        let thread_error =
            |e: io::Error| ConfigError::new("", format!("cannot start audit threads: {e}"));

        let mut alerts = Alerts::builder();
        let sinks = self.alert_sinks()?;
        if sinks.is_empty() {
            alerts = alerts.sink(LogAlerts::new());
        }
        for sink in sinks {
            alerts = alerts.sink_arc(sink);
        }
        let (alert_sender, alert_guard) = alerts.spawn().map_err(thread_error)?;

        let mut fanout = Fanout::new();
        let mut file = None;
        if let Some(path) = &self.file {
            let capacity = NonZeroUsize::new(self.capacity).expect("validate refuses zero");
            let on_full = match self.on_full {
                OnFullConfig::Block => OnFull::Block,
                OnFullConfig::DropAndCount => OnFull::DropAndCount,
            };
            let (sink, guard) = FileSink::builder(path)
                .flush(self.flush_policy()?)
                .rotate(self.rotation()?)
                .capacity(capacity)
                .on_full(on_full)
                .fsync(self.fsync)
                .verify_on_open(self.verify_on_open)
                .alerts(alert_sender.clone())
                .build()
                .map_err(|e| {
                    ConfigError::new("file", format!("cannot open the audit file: {e}"))
                })?;
            file = Some((sink, guard));
        }

        let rules = self.detection_rules()?;
        let mut detector = None;
        if !rules.is_empty() {
            let capacity = NonZeroUsize::new(self.capacity).expect("validate refuses zero");
            let (sink, guard) = Detector::new(rules)
                .spawn(alert_sender.clone(), capacity)
                .map_err(thread_error)?;
            detector = Some((sink, guard));
        }

        // The file takes the record itself, so it goes last: the sinks
        // before it get it by reference (the detector copies only what its
        // rules read; the tracing sink clones it).
        if let Some((sink, _)) = &detector {
            fanout = fanout.with(crate::detect::DetectorFeed(sink.clone()));
        }
        if self.tracing || (file.is_none() && detector.is_none()) {
            fanout = fanout.with(TracingSink::new());
        }
        if let Some((sink, _)) = &file {
            fanout = fanout.with(sink.clone());
        }

        let mut layer = AuditLayer::from_arc(Arc::new(fanout) as Arc<dyn AuditSink>)
            .user_agent_max(self.user_agent_max);
        if let Some(names) = &self.mask_query {
            layer = layer.mask(QueryMask::new(names));
        }

        Ok(AuditPipeline {
            layer,
            file,
            detector,
            alerts: alert_sender,
            alert_guard: Some(alert_guard),
        })
    }
}

/// The name [`AuditPipeline::sink_stats`] gives the audit file's sink.
pub const FILE_SINK: &str = "file";

/// The name [`AuditPipeline::sink_stats`] gives the detector's queue.
pub const DETECTOR_SINK: &str = "detector";

/// What [`AuditConfig::build`] starts: the layer, and the threads behind it.
///
/// Dropping it flushes and stops them; [`shutdown`](Self::shutdown) does
/// the same and reports the file's final counters. While it runs,
/// [`sink_stats`](Self::sink_stats) reads the counters of each queued sink
/// it owns, for metrics.
pub struct AuditPipeline {
    layer: AuditLayer,
    file: Option<(QueuedSink, SinkGuard)>,
    detector: Option<(QueuedSink, SinkGuard)>,
    alerts: AlertSender,
    alert_guard: Option<AlertGuard>,
}

impl AuditPipeline {
    /// The layer to put in the stack (cheap to clone).
    pub fn layer(&self) -> AuditLayer {
        self.layer.clone()
    }

    /// The file sink's counters, when there is a file.
    pub fn file_stats(&self) -> Option<SinkStats> {
        self.file.as_ref().map(|(sink, _)| sink.stats())
    }

    /// The counters of every queued sink the pipeline owns, by name, in
    /// this order: [`FILE_SINK`] when `file` is set, [`DETECTOR_SINK`]
    /// when there are `rules`. The tracing sink has no queue and is not
    /// listed; a pipeline with neither file nor rules gives an empty list.
    ///
    /// Each sink counts on its own: a record the detector's queue had no
    /// room for is in the detector's `dropped`, and may still be in the
    /// file. The detector's queue drops rather than wait, so its `dropped`
    /// is the number of records no rule has seen.
    ///
    /// # Example
    ///
    /// ```
    /// use rimguard_audit::AuditConfig;
    /// use rimguard_audit::config::{DETECTOR_SINK, FILE_SINK};
    ///
    /// let dir = std::env::temp_dir().join(format!("rimguard-doc-sinks-{}", std::process::id()));
    /// let config: AuditConfig = toml::from_str(&format!(
    ///     r#"
    ///     file = {:?}
    ///     [[rules]]
    ///     kind = "auth-failures"
    ///     max = 5
    ///     window = "10m"
    ///     "#,
    ///     dir.join("audit.jsonl"),
    /// ))?;
    /// let pipeline = config.build()?;
    ///
    /// let names: Vec<_> = pipeline.sink_stats().into_iter().map(|(name, _)| name).collect();
    /// assert_eq!(names, [FILE_SINK, DETECTOR_SINK]);
    /// # drop(pipeline);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sink_stats(&self) -> Vec<(&'static str, SinkStats)> {
        let file = self
            .file
            .as_ref()
            .map(|(sink, _)| (FILE_SINK, sink.stats()));
        let detector = self
            .detector
            .as_ref()
            .map(|(sink, _)| (DETECTOR_SINK, sink.stats()));
        file.into_iter().chain(detector).collect()
    }

    /// Where to send alerts of your own.
    pub fn alerts(&self) -> &AlertSender {
        &self.alerts
    }

    /// Waits until every record submitted so far is in the file and has
    /// been seen by the detector (which then has sent its alerts on to
    /// the alert thread), so that [`sink_stats`](Self::sink_stats) counts
    /// them as written.
    ///
    /// # Errors
    ///
    /// The file's flush error. The detector keeps no output, so it fails
    /// only when its thread has stopped (`BrokenPipe`), which is reported
    /// after the file's outcome.
    pub fn flush(&self) -> io::Result<()> {
        let file = match &self.file {
            Some((sink, _)) => sink.flush(),
            None => Ok(()),
        };
        let detector = match &self.detector {
            Some((sink, _)) => sink.flush(),
            None => Ok(()),
        };
        file.and(detector)
    }

    /// Flushes the file, then stops the detector and delivers the last
    /// alerts.
    ///
    /// # Errors
    ///
    /// The file's final flush error.
    pub fn shutdown(mut self) -> io::Result<Option<SinkStats>> {
        self.stop()
    }

    fn stop(&mut self) -> io::Result<Option<SinkStats>> {
        let stats = self.file.take().map(|(_, guard)| guard.shutdown());
        if let Some((_, detector)) = self.detector.take() {
            let _ = detector.shutdown();
        }
        if let Some(alerts) = self.alert_guard.take() {
            alerts.shutdown();
        }
        stats.transpose()
    }
}

impl Drop for AuditPipeline {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::error!(target: crate::TARGET, %error, "audit file failed its final flush");
        }
    }
}

impl fmt::Debug for AuditPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditPipeline")
            .field("layer", &self.layer)
            .field("sink_stats", &self.sink_stats())
            .finish_non_exhaustive()
    }
}
