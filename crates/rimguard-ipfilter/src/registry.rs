//! Named lists that routes refer to.

use std::collections::BTreeMap;
use std::time::Duration;

use rimguard_core::ConfigError;

use crate::filter::IpFilterLayer;
use crate::shared::{ListWatcher, SharedIpList};

/// Named lists (`office`, `webhook-providers`), each with the layer that
/// routes guarded by it use.
///
/// A route refers to a list by name; [`layer`](Self::layer) hands out a
/// layer on that list, and every layer handed out for one name shares the
/// same [`SharedIpList`], so one reload serves them all.
///
/// # Example
///
/// ```
/// use rimguard_ipfilter::{IpFilterLayer, IpList, IpListRegistry};
///
/// let mut lists = IpListRegistry::new();
/// let office = IpList::builder().name("office").allow("203.0.113.0/24").build()?;
/// lists.insert("office", IpFilterLayer::new(office));
///
/// let admin_guard = lists.layer("office")?;
/// assert_eq!(admin_guard.list().name(), "office");
/// assert!(lists.layer("offcie").is_err());
/// # Ok::<(), rimguard_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct IpListRegistry {
    lists: BTreeMap<String, Registered>,
}

#[derive(Debug, Clone)]
struct Registered {
    layer: IpFilterLayer,
    watch: Option<Duration>,
}

impl IpListRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `layer` under `name`, replacing and returning any layer
    /// registered under it before. The list is not watched.
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        layer: IpFilterLayer,
    ) -> Option<IpFilterLayer> {
        self.insert_watched(name, layer, None)
    }

    /// Registers `layer` under `name`; [`watch`](Self::watch) will check
    /// its file every `interval` when given.
    pub fn insert_watched(
        &mut self,
        name: impl Into<String>,
        layer: IpFilterLayer,
        interval: Option<Duration>,
    ) -> Option<IpFilterLayer> {
        let registered = Registered {
            layer,
            watch: interval,
        };
        self.lists
            .insert(name.into(), registered)
            .map(|old| old.layer)
    }

    /// A layer on the list named `name`, with the status and dry-run
    /// options it was registered with.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] on field `ip_list` when no list has that name; the
    /// caller adds the route's path with [`ConfigError::within`].
    pub fn layer(&self, name: &str) -> Result<IpFilterLayer, ConfigError> {
        match self.lists.get(name) {
            Some(registered) => Ok(registered.layer.clone()),
            None => Err(ConfigError::new("ip_list", self.unknown(name))),
        }
    }

    /// The list named `name`.
    pub fn list(&self, name: &str) -> Option<&SharedIpList> {
        self.lists
            .get(name)
            .map(|registered| registered.layer.list())
    }

    /// The registered names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.lists.keys().map(String::as_str)
    }

    /// Reloads every list from its file.
    ///
    /// # Errors
    ///
    /// The refused reloads, each within `ip_lists.<name>`; the lists they
    /// concern keep their previous version, the others are reloaded.
    pub fn reload_all(&self) -> Result<(), Vec<ConfigError>> {
        let errors: Vec<_> = self
            .lists
            .iter()
            .filter_map(|(name, registered)| {
                let result = registered.layer.list().reload();
                result
                    .err()
                    .map(|error| error.within(&format!("ip_lists.{name}")))
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Starts a [`ListWatcher`] for every list registered with a watch
    /// interval and a file. Keep the watchers: dropping one stops it.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when a watcher thread cannot start.
    pub fn watch(&self) -> Result<Vec<ListWatcher>, ConfigError> {
        let mut watchers = Vec::new();
        for (name, registered) in &self.lists {
            let list = registered.layer.list();
            if let (Some(interval), Some(_)) = (registered.watch, list.file()) {
                let watcher = list.watch(interval);
                watchers.push(watcher.map_err(|e| e.within(&format!("ip_lists.{name}")))?);
            }
        }
        Ok(watchers)
    }

    fn unknown(&self, name: &str) -> String {
        let known: Vec<_> = self.names().collect();
        if known.is_empty() {
            format!("no ip list named `{name}`: no list is defined")
        } else {
            format!("no ip list named `{name}` (defined: {})", known.join(", "))
        }
    }
}
