//! Where secrets come from, in the order the user chooses.
//!
//! A [`SecretSource`] names one place, written in configuration as:
//!
//! | source | written | reads |
//! | --- | --- | --- |
//! | OS credential store | `keyring:service/user` | the entry `service`/`user` of a [`KeyringStore`] |
//! | protected file | `file:/path/to/secret` | the whole file, less one trailing newline; on Unix refused when group or others have any access |
//! | environment | `env:NAME` | the variable `NAME` |
//! | `.env` file, **development only** | `dotenv:NAME` | `NAME` in a `.env` file; off unless [`Resolver::with_dotenv_for_development`] turns it on |
//!
//! A [`Resolver`] loads a secret from a list of sources, trying them in
//! order and returning the first that yields a non-empty value. When none
//! does, the [`SecretError`] names every source tried and why it failed;
//! it never contains a value, not even a partial one.
//!
//! There is no silent fallback: a `keyring:` source with no credential
//! store compiled in (see the crate's cargo features) fails with a reason
//! that says which feature to enable, and never reads from an in-memory
//! mock store.
//!
//! # Example
//!
//! ```
//! use rimguard_secrets::source::{Resolver, SecretSource};
//! use rimguard_secrets::secret::ExposeSecret;
//!
//! let chain: Vec<SecretSource> = ["env:WIX_API_KEY", "env:SHOP_KEY"]
//!     .iter()
//!     .map(|s| s.parse().unwrap())
//!     .collect();
//! let resolver = Resolver::new().with_env(|name| {
//!     (name == "SHOP_KEY").then(|| "rg_live_0123456789abcdef".to_owned())
//! });
//!
//! let loaded = resolver.load("wix_api_key", &chain).unwrap();
//! assert_eq!(loaded.source().to_string(), "env:SHOP_KEY");
//! assert_eq!(loaded.secret().expose_secret(), "rg_live_0123456789abcdef");
//!
//! let error = Resolver::new().with_env(|_| None).load("wix_api_key", &chain).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "secret `wix_api_key` could not be loaded: env:WIX_API_KEY: not set; env:SHOP_KEY: not set"
//! );
//! ```

mod dotenv;
mod error;
mod file;
mod keyring;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use self::error::{Attempt, SecretError, SourceParseError};
pub use self::keyring::{KeyringError, KeyringStore};

/// One place a secret can come from. See the [module docs](self).
///
/// It holds only the name of a place, never a value, so it prints and
/// serializes freely (as the string it was written as).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SecretSource {
    /// `keyring:service/user`: an entry of the OS credential store.
    Keyring {
        /// The service name, such as `rimguard`.
        service: String,
        /// The user (account) name, such as `wix_api_key`.
        user: String,
    },
    /// `file:/path`: a file that only its owner may read.
    File(PathBuf),
    /// `env:NAME`: an environment variable.
    Env(String),
    /// `dotenv:NAME`: a variable in a `.env` file, for development only.
    Dotenv(String),
}

impl SecretSource {
    /// The kind of source as written before the colon: `keyring`, `file`,
    /// `env` or `dotenv`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Keyring { .. } => "keyring",
            Self::File(_) => "file",
            Self::Env(_) => "env",
            Self::Dotenv(_) => "dotenv",
        }
    }
}

impl FromStr for SecretSource {
    type Err = SourceParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some((kind, rest)) = text.split_once(':') else {
            return Err(SourceParseError::new("expected `kind:location`"));
        };
        match kind {
            "keyring" => parse_keyring(rest),
            "file" if rest.is_empty() => Err(SourceParseError::new("the file path is empty")),
            "file" => Ok(Self::File(PathBuf::from(rest))),
            "env" => parse_var_name(rest).map(Self::Env),
            "dotenv" => parse_var_name(rest).map(Self::Dotenv),
            _ => Err(SourceParseError::new(
                "unknown source kind; expected `keyring:`, `file:`, `env:` or `dotenv:`",
            )),
        }
    }
}

fn parse_keyring(rest: &str) -> Result<SecretSource, SourceParseError> {
    match rest.split_once('/') {
        Some((service, user)) if !service.is_empty() && !user.is_empty() => {
            Ok(SecretSource::Keyring {
                service: service.to_owned(),
                user: user.to_owned(),
            })
        }
        _ => Err(SourceParseError::new("expected `keyring:service/user`")),
    }
}

fn parse_var_name(name: &str) -> Result<String, SourceParseError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    if first_ok && chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) {
        Ok(name.to_owned())
    } else {
        Err(SourceParseError::new(
            "a variable name is letters, digits and `_`, not starting with a digit",
        ))
    }
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Keyring { service, user } => write!(f, "keyring:{service}/{user}"),
            Self::File(path) => write!(f, "file:{}", path.display()),
            Self::Env(name) => write!(f, "env:{name}"),
            Self::Dotenv(name) => write!(f, "dotenv:{name}"),
        }
    }
}

impl TryFrom<String> for SecretSource {
    type Error = SourceParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<SecretSource> for String {
    fn from(source: SecretSource) -> Self {
        source.to_string()
    }
}

/// A secret as loaded: the value, the source that yielded it, and the
/// file's modification time when it came from a file.
#[derive(Debug)]
pub struct LoadedSecret {
    secret: SecretString,
    source: SecretSource,
    modified: Option<SystemTime>,
}

impl LoadedSecret {
    /// The value.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// The value, taken out.
    pub fn into_secret(self) -> SecretString {
        self.secret
    }

    /// The source that yielded it.
    pub fn source(&self) -> &SecretSource {
        &self.source
    }

    /// The last modification time of the file it was read from, for
    /// `file:` sources; rotation checks use it as the key's creation time
    /// when none is configured.
    pub fn modified(&self) -> Option<SystemTime> {
        self.modified
    }
}

type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

type LoadObserver = Arc<dyn Fn(&SecretString) + Send + Sync>;

/// Loads secrets from [`SecretSource`]s. See the [module docs](self).
///
/// By default it reads `keyring:` sources from [`KeyringStore::native`]
/// (opened on first use), `env:` sources from the process environment,
/// and refuses `dotenv:` sources.
#[derive(Clone)]
pub struct Resolver {
    keyring: Arc<OnceLock<Result<KeyringStore, KeyringError>>>,
    env: EnvLookup,
    dotenv: Option<PathBuf>,
    observers: Vec<LoadObserver>,
}

impl Default for Resolver {
    fn default() -> Self {
        Self::new()
    }
}

impl Resolver {
    /// A resolver with the native credential store, the process
    /// environment, and no `.env` file.
    pub fn new() -> Self {
        Self {
            keyring: Arc::new(OnceLock::new()),
            env: Arc::new(|name| std::env::var(name).ok()),
            dotenv: None,
            observers: Vec::new(),
        }
    }

    /// Calls `observer` with every secret this resolver (or a clone made
    /// after this call) loads, such as to register each value with a log
    /// redactor so that it is masked wherever it would be printed.
    /// Observers added earlier are kept and called first.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use rimguard_secrets::{Resolver, SecretSource};
    ///
    /// let seen = Arc::new(Mutex::new(0));
    /// let counter = seen.clone();
    /// let resolver = Resolver::new()
    ///     .without_keyring()
    ///     .with_env(|_| Some("s3cr3t-value".to_owned()))
    ///     .on_load(move |_secret| *counter.lock().unwrap() += 1);
    /// resolver.load("bot", &["env:BOT_KEY".parse::<SecretSource>().unwrap()]).unwrap();
    /// assert_eq!(*seen.lock().unwrap(), 1);
    /// ```
    pub fn on_load<F>(mut self, observer: F) -> Self
    where
        F: Fn(&SecretString) + Send + Sync + 'static,
    {
        self.observers.push(Arc::new(observer));
        self
    }

    /// Reads `keyring:` sources from `store` instead of the native one.
    pub fn with_keyring(mut self, store: KeyringStore) -> Self {
        self.keyring = Arc::new(OnceLock::from(Ok(store)));
        self
    }

    /// Refuses every `keyring:` source, naming the reason in the error.
    pub fn without_keyring(mut self) -> Self {
        self.keyring = Arc::new(OnceLock::from(Err(KeyringError::disabled())));
        self
    }

    /// Reads `env:` sources through `lookup` instead of the process
    /// environment (tests; a supervisor that passes secrets some other way).
    pub fn with_env<F>(mut self, lookup: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        self.env = Arc::new(lookup);
        self
    }

    /// Allows `dotenv:` sources, read from the `.env` file at `path`.
    ///
    /// For development only: a `.env` file sits in a working tree, is easily
    /// committed or copied, and is usually readable by anyone on the
    /// machine. Every secret read this way is logged at WARN.
    pub fn with_dotenv_for_development(mut self, path: impl AsRef<Path>) -> Self {
        self.dotenv = Some(path.as_ref().to_path_buf());
        self
    }

    /// The credential store `keyring:` sources read from, opening the
    /// native one on first use.
    ///
    /// # Errors
    ///
    /// When no store is compiled in for this platform, the store cannot be
    /// opened, or keyring sources were turned off.
    pub fn keyring(&self) -> Result<&KeyringStore, &KeyringError> {
        self.keyring.get_or_init(KeyringStore::native).as_ref()
    }

    /// Loads the secret `name` from the first source of `chain` that yields
    /// a non-empty value.
    ///
    /// # Errors
    ///
    /// When no source does (or `chain` is empty): the error names each
    /// source tried, in order, with its reason.
    pub fn load(&self, name: &str, chain: &[SecretSource]) -> Result<LoadedSecret, SecretError> {
        let mut attempts = Vec::with_capacity(chain.len());
        for source in chain {
            match self.load_one(source) {
                Ok(loaded) => {
                    tracing::debug!(target: "rimguard::secrets", secret = name, %source, "secret loaded");
                    return Ok(loaded);
                }
                Err(reason) => attempts.push(Attempt::new(source, reason)),
            }
        }
        Err(SecretError::new(name, attempts))
    }

    /// Loads a secret from one source.
    ///
    /// # Errors
    ///
    /// The reason the source yielded nothing (never containing a value).
    pub fn load_one(&self, source: &SecretSource) -> Result<LoadedSecret, String> {
        let (raw, modified) = match source {
            SecretSource::Keyring { service, user } => {
                let store = self.keyring().map_err(ToString::to_string)?;
                (store.get_raw(service, user)?, None)
            }
            SecretSource::File(path) => {
                let (raw, modified) = file::read_protected(path)?;
                (raw, modified)
            }
            SecretSource::Env(name) => (self.env_var(name)?, None),
            SecretSource::Dotenv(name) => (self.dotenv_var(name)?, None),
        };
        let secret = into_secret_string(raw)?;
        for observer in &self.observers {
            observer(&secret);
        }
        Ok(LoadedSecret {
            secret,
            source: source.clone(),
            modified,
        })
    }

    fn env_var(&self, name: &str) -> Result<Zeroizing<Vec<u8>>, String> {
        let value = (self.env)(name).ok_or("not set")?;
        Ok(Zeroizing::new(value.into_bytes()))
    }

    fn dotenv_var(&self, name: &str) -> Result<Zeroizing<Vec<u8>>, String> {
        let Some(path) = &self.dotenv else {
            return Err("`.env` files are for development only and are off; \
                        turn them on with Resolver::with_dotenv_for_development"
                .to_owned());
        };
        let value = dotenv::lookup(path, name)?;
        tracing::warn!(
            target: "rimguard::secrets",
            variable = name,
            file = %path.display(),
            "secret read from a .env file: for development only"
        );
        Ok(value)
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field(
                "keyring",
                &self
                    .keyring
                    .get()
                    .map(|r| r.as_ref().map(KeyringStore::name)),
            )
            .field("env", &"<fn>")
            .field("dotenv", &self.dotenv)
            .field("observers", &self.observers.len())
            .finish()
    }
}

/// Turns raw bytes into a secret string, zeroizing every intermediate copy.
fn into_secret_string(mut raw: Zeroizing<Vec<u8>>) -> Result<SecretString, String> {
    if raw.is_empty() {
        return Err("the value is empty".to_owned());
    }
    if std::str::from_utf8(&raw).is_err() {
        return Err("the value is not UTF-8".to_owned());
    }
    let bytes = std::mem::take(&mut *raw);
    let text = String::from_utf8(bytes).expect("checked as UTF-8 just above");
    Ok(SecretString::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_and_print_as_written() {
        for text in [
            "keyring:rimguard/wix_api_key",
            "file:/run/secrets/wix",
            "env:WIX_API_KEY",
            "dotenv:WIX",
        ] {
            let source: SecretSource = text.parse().unwrap();
            assert_eq!(source.to_string(), text);
        }
        let source: SecretSource = "keyring:rimguard/team/bot".parse().unwrap();
        assert_eq!(
            source,
            SecretSource::Keyring {
                service: "rimguard".into(),
                user: "team/bot".into()
            }
        );
    }

    #[test]
    fn malformed_sources_are_refused() {
        for text in [
            "rimguard/wix",
            "keyring:rimguard",
            "keyring:/user",
            "file:",
            "env:1X",
            "env:A-B",
            "vault:x",
        ] {
            assert!(
                text.parse::<SecretSource>().is_err(),
                "{text} should be refused"
            );
        }
    }

    #[test]
    fn the_first_source_with_a_value_wins() {
        let chain: Vec<SecretSource> = vec!["env:A".parse().unwrap(), "env:B".parse().unwrap()];
        let resolver = Resolver::new().with_env(|n| Some(format!("value-of-{n}")));
        let loaded = resolver.load("x", &chain).unwrap();
        assert_eq!(loaded.source().to_string(), "env:A");
    }

    #[test]
    fn an_empty_value_is_a_failure_and_the_chain_goes_on() {
        let chain: Vec<SecretSource> = vec!["env:A".parse().unwrap(), "env:B".parse().unwrap()];
        let resolver =
            Resolver::new().with_env(|n| Some(if n == "A" { String::new() } else { "b".into() }));
        let loaded = resolver.load("x", &chain).unwrap();
        assert_eq!(loaded.source().to_string(), "env:B");
    }

    #[test]
    fn dotenv_is_off_unless_turned_on() {
        let chain = vec!["dotenv:A".parse().unwrap()];
        let error = Resolver::new().load("x", &chain).unwrap_err();
        assert!(error.to_string().contains("development only"), "{error}");
    }

    #[test]
    fn an_empty_chain_says_so() {
        let error = Resolver::new().load("x", &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "secret `x` could not be loaded: no sources are configured"
        );
    }
}
