//! A list that can be swapped while requests are served, and its watcher.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::{ArcSwap, Guard};
use ipnet::IpNet;
use rimguard_core::ConfigError;

use crate::TARGET;
use crate::entry::HostBits;
use crate::file::{Fingerprint, read_list_file};
use crate::list::{Action, IpList};

/// A handle to a list that can be reloaded and swapped atomically.
///
/// Cloning it is cheap, and every clone sees the same current list. Layers
/// hold one; a reload, from the file or from code, replaces the whole
/// compiled [`IpList`] in one atomic pointer swap, so every request is
/// decided against either the old list or the new one, never a mix.
///
/// A reload parses and compiles the new list on the caller's thread before
/// the swap; a list that fails validation is not swapped in: the old list
/// stays, the failure is logged at WARN on `rimguard::ipfilter` and counted
/// in [`reload_failures`](Self::reload_failures). The time of the last
/// swap is kept for metrics ([`last_reload`](Self::last_reload)) in an
/// atomic written only by a swap: deciding a request never reads it.
///
/// # Example
///
/// ```
/// use rimguard_ipfilter::IpList;
///
/// let dir = std::env::temp_dir().join(format!("rimguard-doc-shared-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("office.txt");
/// std::fs::write(&path, "203.0.113.0/24\n")?;
///
/// let office = IpList::builder().name("office").file(&path).build_shared()?;
/// assert!(office.load().check("203.0.113.9".parse()?).is_allowed());
///
/// std::fs::write(&path, "198.51.100.0/24\n")?;
/// office.reload()?;
/// assert!(!office.load().check("203.0.113.9".parse()?).is_allowed());
///
/// std::fs::write(&path, "not a range\n")?;
/// assert!(office.reload().is_err());
/// assert!(office.load().check("198.51.100.9".parse()?).is_allowed()); // the old list stays
/// assert_eq!(office.reload_failures(), 1);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SharedIpList {
    inner: Arc<Shared>,
}

struct Shared {
    name: Arc<str>,
    current: ArcSwap<IpList>,
    inline: Vec<(IpNet, Action)>,
    file: Option<PathBuf>,
    host_bits: HostBits,
    /// Serializes reloads, so that an older read never replaces a newer one.
    reloading: Mutex<Attempt>,
    reloads: AtomicU64,
    failures: AtomicU64,
    /// When the last swap happened, in milliseconds since the Unix epoch;
    /// [`NO_TIME`] before the first swap or when the clock was before the
    /// epoch.
    last_reload_ms: AtomicU64,
}

/// `Shared::last_reload_ms` holds no time.
const NO_TIME: u64 = 0;

/// The version of the file the last reload attempt read.
#[derive(Default)]
struct Attempt {
    fingerprint: Option<Fingerprint>,
}

impl SharedIpList {
    /// A handle to a list built in code, with no file to reload from.
    pub fn new(list: IpList) -> Self {
        let name = Arc::from(list.name());
        Self::from_parts(name, list, Vec::new(), None, HostBits::default(), None)
    }

    /// Builds the first version of a list from inline entries and a file.
    pub(crate) fn load_new(
        name: Arc<str>,
        inline: Vec<(IpNet, Action)>,
        file: Option<PathBuf>,
        host_bits: HostBits,
    ) -> Result<Self, ConfigError> {
        let (list, fingerprint) = compile(&name, &inline, file.as_deref(), host_bits)?;
        warn_if_empty(&list);
        Ok(Self::from_parts(
            name,
            list,
            inline,
            file,
            host_bits,
            fingerprint,
        ))
    }

    fn from_parts(
        name: Arc<str>,
        list: IpList,
        inline: Vec<(IpNet, Action)>,
        file: Option<PathBuf>,
        host_bits: HostBits,
        fingerprint: Option<Fingerprint>,
    ) -> Self {
        let shared = Shared {
            name,
            current: ArcSwap::from_pointee(list),
            inline,
            file,
            host_bits,
            reloading: Mutex::new(Attempt { fingerprint }),
            reloads: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            last_reload_ms: AtomicU64::new(NO_TIME),
        };
        Self {
            inner: Arc::new(shared),
        }
    }

    /// The current list. Hold the guard only for one decision: it keeps
    /// this version alive, and a long-held guard delays its release.
    #[inline]
    pub fn load(&self) -> Guard<Arc<IpList>> {
        self.inner.current.load()
    }

    /// The current list, as an owned `Arc`.
    pub fn load_full(&self) -> Arc<IpList> {
        self.inner.current.load_full()
    }

    /// The list's name, used in log events.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The file the list reloads from, when it has one.
    pub fn file(&self) -> Option<&Path> {
        self.inner.file.as_deref()
    }

    /// Re-reads the file, validates and compiles the new list (the file's
    /// entries after the inline ones), and swaps it in. A list without a
    /// file is left as it is. It blocks while it reads and compiles: from
    /// async code, call it through `spawn_blocking` for large lists.
    ///
    /// # Errors
    ///
    /// The [`ConfigError`] (file, line, column) of a file that cannot be
    /// read or has a bad line. The old list then stays in force; the
    /// failure is logged and counted.
    pub fn reload(&self) -> Result<(), ConfigError> {
        let Some(file) = self.inner.file.as_deref() else {
            return Ok(());
        };
        let mut attempt = self.lock_attempt();
        attempt.fingerprint = Fingerprint::of(file);

        match compile(
            &self.inner.name,
            &self.inner.inline,
            Some(file),
            self.inner.host_bits,
        ) {
            Ok((list, read)) => {
                // The version actually read, which may be newer than the
                // one fingerprinted above.
                attempt.fingerprint = read;
                self.swap_in(list);
                Ok(())
            }
            Err(error) => {
                self.inner.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    target: TARGET,
                    list = &*self.inner.name,
                    error = %error,
                    "list reload refused; the previous list stays in force"
                );
                Err(error)
            }
        }
    }

    /// Swaps in a list built in code, replacing the current one atomically.
    pub fn replace(&self, list: IpList) {
        let _attempt = self.lock_attempt();
        self.swap_in(list);
    }

    /// How many reloads or replacements have swapped in a new list.
    pub fn reloads(&self) -> u64 {
        self.inner.reloads.load(Ordering::Relaxed)
    }

    /// When the last reload or replacement swapped in a new list, to the
    /// millisecond (rounded down), by the system clock.
    ///
    /// `None` until the first swap: the version loaded when the list was
    /// built is not a reload. Also `None` when the system clock read
    /// before the Unix epoch at the last swap. A refused reload leaves it
    /// as it was.
    ///
    /// # Example
    ///
    /// ```
    /// use rimguard_ipfilter::{IpList, SharedIpList};
    ///
    /// let office = SharedIpList::new(IpList::builder().name("office").allow("203.0.113.0/24").build()?);
    /// assert_eq!(office.last_reload(), None);
    ///
    /// office.replace(IpList::builder().name("office").allow("198.51.100.0/24").build()?);
    /// assert!(office.last_reload().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn last_reload(&self) -> Option<SystemTime> {
        match self.inner.last_reload_ms.load(Ordering::Relaxed) {
            NO_TIME => None,
            ms => UNIX_EPOCH.checked_add(Duration::from_millis(ms)),
        }
    }

    /// How many reloads were refused (bad or unreadable file).
    pub fn reload_failures(&self) -> u64 {
        self.inner.failures.load(Ordering::Relaxed)
    }

    /// Starts a thread that checks the file every `interval` and reloads
    /// the list once a change has settled. See [`ListWatcher`].
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] on field `file` when the list has no file, or on
    /// `watch_interval` when `interval` is zero.
    pub fn watch(&self, interval: Duration) -> Result<ListWatcher, ConfigError> {
        let Some(path) = self.inner.file.clone() else {
            return Err(ConfigError::new("file", "the list has no file to watch"));
        };
        if interval.is_zero() {
            return Err(ConfigError::new(
                "watch_interval",
                "must be greater than zero",
            ));
        }
        ListWatcher::spawn(self.clone(), path, interval)
    }

    fn swap_in(&self, list: IpList) {
        warn_if_empty(&list);
        tracing::info!(
            target: TARGET,
            list = &*self.inner.name,
            ranges = list.len(),
            "list loaded"
        );
        self.inner.current.store(Arc::new(list));
        self.inner
            .last_reload_ms
            .store(unix_millis(SystemTime::now()), Ordering::Relaxed);
        self.inner.reloads.fetch_add(1, Ordering::Relaxed);
    }

    fn lock_attempt(&self) -> MutexGuard<'_, Attempt> {
        self.inner
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn attempted(&self) -> Option<Fingerprint> {
        self.lock_attempt().fingerprint
    }
}

impl From<IpList> for SharedIpList {
    fn from(list: IpList) -> Self {
        Self::new(list)
    }
}

impl fmt::Debug for SharedIpList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedIpList")
            .field("name", &self.inner.name)
            .field("file", &self.inner.file)
            .field("current", &*self.load())
            .field("reloads", &self.reloads())
            .field("reload_failures", &self.reload_failures())
            .field("last_reload", &self.last_reload())
            .finish()
    }
}

/// `time` in whole milliseconds since the Unix epoch, at least 1 (the
/// epoch itself is taken as 1 ms after it); [`NO_TIME`] before the epoch.
fn unix_millis(time: SystemTime) -> u64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => u64::try_from(since.as_millis()).unwrap_or(u64::MAX).max(1),
        Err(_) => NO_TIME,
    }
}

fn compile(
    name: &Arc<str>,
    inline: &[(IpNet, Action)],
    file: Option<&Path>,
    host_bits: HostBits,
) -> Result<(IpList, Option<Fingerprint>), ConfigError> {
    let mut entries = inline.to_vec();
    let mut fingerprint = None;
    if let Some(path) = file {
        let (from_file, read) = read_list_file(name, path, host_bits)?;
        entries.extend(from_file);
        fingerprint = read;
    }
    Ok((IpList::compile(name.clone(), &entries), fingerprint))
}

fn warn_if_empty(list: &IpList) {
    if list.is_empty() {
        tracing::warn!(
            target: TARGET,
            list = list.name(),
            "list has no range: every request it guards is refused"
        );
    }
}

/// A thread that reloads a [`SharedIpList`] when its file changes.
///
/// Every interval it compares the file's size, modification time and
/// inode with those of the version last read. A change is reloaded once it
/// has settled (the same on two checks in a row), so an editor's
/// half-finished write is not loaded; writing the new file beside the old
/// one and renaming it over is still the safe way to publish a list. A
/// failed reload is not retried until the file changes again.
///
/// Dropping the watcher stops the thread (and waits for a reload in
/// progress to finish).
///
/// Polling was chosen over file-system notifications (`notify`): it has no
/// platform back-ends to fail silently (network and container file
/// systems often deliver no events), it follows a symlink being switched
/// to a new target (as Kubernetes does with mounted config maps), and its
/// cost, one `stat` per list per interval, is negligible. The price is a
/// reload delay of one to two intervals.
pub struct ListWatcher {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    name: Arc<str>,
}

impl ListWatcher {
    fn spawn(list: SharedIpList, path: PathBuf, interval: Duration) -> Result<Self, ConfigError> {
        let (stop, stopped) = mpsc::channel();
        let name = list.inner.name.clone();
        let thread = thread::Builder::new()
            .name(thread_name(&name))
            .spawn(move || watch_loop(&list, &path, interval, &stopped))
            .map_err(|error| {
                ConfigError::new("file", format!("cannot start the watcher thread: {error}"))
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
            name,
        })
    }
}

/// `rimguard-ipfilter-watch-<name>`, keeping only the name's plain
/// characters (a thread name cannot hold every string).
fn thread_name(list: &str) -> String {
    let plain = list
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    format!("rimguard-ipfilter-watch-{}", plain.collect::<String>())
}

fn watch_loop(list: &SharedIpList, path: &Path, interval: Duration, stopped: &mpsc::Receiver<()>) {
    let mut previous = Fingerprint::of(path);
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
        let now = Fingerprint::of(path);
        let settled = now == previous;
        previous = now;
        if settled && now != list.attempted() {
            // The outcome is logged and counted by `reload` itself.
            let _ = list.reload();
        }
    }
}

impl Drop for ListWatcher {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl fmt::Debug for ListWatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListWatcher")
            .field("list", &self.name)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_kept_to_the_millisecond_rounded_down() {
        let time = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_999);
        assert_eq!(unix_millis(time), 1_700_000_000_123);
    }

    #[test]
    fn a_clock_before_the_epoch_gives_no_time_and_the_epoch_is_still_a_time() {
        assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_secs(1)), NO_TIME);
        assert_ne!(unix_millis(UNIX_EPOCH), NO_TIME);
    }
}
