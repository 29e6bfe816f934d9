//! The serde model of `[ip_lists.<name>]` and its conversion.
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeMap;
//! use rimguard_ipfilter::{IpListConfig, IpListRegistry};
//!
//! let toml = r#"
//! [office]
//! allow = ["203.0.113.0/24", "2001:db8:1::/48"]
//! deny = ["203.0.113.66"]
//!
//! [webhook-providers]
//! allow = ["198.51.100.0/24"]
//! status = 404
//! dry_run = true
//! "#;
//! let lists: BTreeMap<String, IpListConfig> = toml::from_str(toml)?;
//! let registry = IpListRegistry::from_config(&lists, None)?;
//!
//! assert_eq!(registry.names().collect::<Vec<_>>(), ["office", "webhook-providers"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use rimguard_core::ConfigError;
use serde::{Deserialize, Serialize};

use crate::entry::HostBits;
use crate::filter::{IpFilterLayer, RefusalStatus};
use crate::list::IpList;
use crate::registry::IpListRegistry;

/// One `[ip_lists.<name>]` table.
///
/// ```toml
/// [ip_lists.office]
/// allow = ["203.0.113.0/24", "2001:db8:1::/48"]   # ranges or bare addresses
/// deny = ["203.0.113.66"]
/// file = "lists/office.txt"      # more entries, reloaded on change
/// on_host_bits = "refuse"        # or "truncate"
/// status = 403                   # or 404 to hide the endpoint
/// dry_run = false                # log what would be refused, refuse nothing
/// watch = true                   # reload the file when it changes
/// watch_interval = "2s"          # how often the file is checked
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpListConfig {
    /// Allowed ranges.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Denied ranges.
    #[serde(default)]
    pub deny: Vec<String>,
    /// A list file of more entries, relative to the configuration's
    /// directory when one is given to the conversion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// What to do with ranges that have host bits set.
    #[serde(default)]
    pub on_host_bits: HostBits,
    /// The refusal status: 403 or 404.
    #[serde(default = "default_status")]
    pub status: u16,
    /// Log refusals without refusing.
    #[serde(default)]
    pub dry_run: bool,
    /// Reload the file when it changes.
    #[serde(default = "default_watch")]
    pub watch: bool,
    /// How often the file is checked for changes, such as `"2s"`.
    #[serde(default = "default_watch_interval")]
    pub watch_interval: String,
}

fn default_status() -> u16 {
    403
}

fn default_watch() -> bool {
    true
}

fn default_watch_interval() -> String {
    "2s".to_owned()
}

impl Default for IpListConfig {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            deny: Vec::new(),
            file: None,
            on_host_bits: HostBits::default(),
            status: default_status(),
            dry_run: false,
            watch: default_watch(),
            watch_interval: default_watch_interval(),
        }
    }
}

impl IpListConfig {
    /// Builds the layer of the list `name`, reading its file (resolved
    /// against `base_dir` when relative).
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] within `ip_lists.<name>`: the bad entry
    /// (`allow[1]`), the file with line and column, `status`, or
    /// `watch_interval`.
    pub fn layer(&self, name: &str, base_dir: Option<&Path>) -> Result<IpFilterLayer, ConfigError> {
        self.layer_inner(name, base_dir)
            .map_err(|e| e.within(&format!("ip_lists.{name}")))
    }

    /// The interval at which the file is checked, or `None` when the list
    /// has no file or `watch` is off.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] on `watch_interval` when it is not a duration
    /// greater than zero.
    pub fn watch_every(&self) -> Result<Option<Duration>, ConfigError> {
        if !self.watch || self.file.is_none() {
            return Ok(None);
        }
        let interval = humantime::parse_duration(&self.watch_interval).map_err(|error| {
            ConfigError::new(
                "watch_interval",
                format!("not a duration such as \"2s\": {error}"),
            )
        })?;
        if interval.is_zero() {
            return Err(ConfigError::new(
                "watch_interval",
                "must be greater than zero",
            ));
        }
        Ok(Some(interval))
    }

    fn layer_inner(
        &self,
        name: &str,
        base_dir: Option<&Path>,
    ) -> Result<IpFilterLayer, ConfigError> {
        let status = match self.status {
            403 => RefusalStatus::Forbidden,
            404 => RefusalStatus::NotFound,
            _ => return Err(ConfigError::new("status", "must be 403 or 404")),
        };
        self.watch_every()?;

        let mut builder = IpList::builder().name(name).on_host_bits(self.on_host_bits);
        for entry in &self.allow {
            builder = builder.allow(entry.as_str());
        }
        for entry in &self.deny {
            builder = builder.deny(entry.as_str());
        }
        if let Some(file) = &self.file {
            builder = builder.file(match base_dir {
                Some(dir) => dir.join(file),
                None => file.clone(),
            });
        }
        let list = builder.build_shared()?;
        Ok(IpFilterLayer::new(list)
            .status(status)
            .dry_run(self.dry_run))
    }
}

impl IpListRegistry {
    /// Builds every list of an `[ip_lists]` section, files resolved against
    /// `base_dir` when relative. Call [`watch`](Self::watch) to start the
    /// watchers of lists with `watch = true` and a file.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`], within `ip_lists.<name>`; a name must be
    /// non-empty and made of ASCII letters, digits, `-` and `_`.
    pub fn from_config(
        lists: &BTreeMap<String, IpListConfig>,
        base_dir: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let mut registry = IpListRegistry::new();
        for (name, config) in lists {
            check_name(name)?;
            let layer = config.layer(name, base_dir)?;
            let interval = config
                .watch_every()
                .map_err(|e| e.within(&format!("ip_lists.{name}")))?;
            registry.insert_watched(name.clone(), layer, interval);
        }
        Ok(registry)
    }
}

fn check_name(name: &str) -> Result<(), ConfigError> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        let message = "a list name is made of ASCII letters, digits, `-` and `_`";
        Err(ConfigError::new("", message).within("ip_lists"))
    }
}
