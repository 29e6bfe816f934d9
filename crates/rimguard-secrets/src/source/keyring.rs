//! `keyring:` sources: the operating system's credential store, through the
//! `keyring-core` API of the `keyring` project.

use std::fmt;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error};
use secrecy::{ExposeSecret, SecretString};
use zeroize::{Zeroize, Zeroizing};

/// What [`KeyringStore::native`] says when this build has no store for the
/// platform.
const NO_STORE: &str = "no OS credential store is compiled in for this platform; enable the \
     rimguard-secrets feature `keyutils` or `secret-service` (Linux), `apple-keychain` (macOS) \
     or `windows-credential-manager` (Windows)";

/// A credential store could not be opened or used. Its message never holds
/// a secret value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{message}")]
pub struct KeyringError {
    message: String,
}

impl KeyringError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    pub(crate) fn disabled() -> Self {
        Self::new("keyring sources are turned off here")
    }
}

/// An OS credential store that `keyring:service/user` sources read from.
///
/// The stores come from the `keyring` project's per-platform crates, each
/// behind a cargo feature of this crate:
///
/// | feature | store | constructor |
/// | --- | --- | --- |
/// | `keyutils` (default) | Linux kernel keyring (session keyring, linked to the user's persistent keyring) | `keyutils()` |
/// | `secret-service` | freedesktop Secret Service over D-Bus (GNOME Keyring, KWallet) | `secret_service()` |
/// | `apple-keychain` | macOS Keychain | `apple_keychain()` |
/// | `windows-credential-manager` | Windows Credential Manager | `windows_credential_manager()` |
///
/// Any other `keyring-core` store can be used through
/// [`from_store`](Self::from_store). There is never a silent fallback to the
/// in-memory mock store of `keyring-core`.
#[derive(Clone)]
pub struct KeyringStore {
    store: Arc<CredentialStore>,
    name: &'static str,
}

impl KeyringStore {
    /// The platform's store among those compiled in: keyutils, then Secret
    /// Service on Linux; the Keychain on macOS; the Credential Manager on
    /// Windows.
    ///
    /// # Errors
    ///
    /// When no store is compiled in for this platform (the message names
    /// the feature to enable), or the store cannot be opened.
    #[allow(unreachable_code)]
    pub fn native() -> Result<Self, KeyringError> {
        #[cfg(all(target_os = "linux", feature = "keyutils"))]
        return Self::keyutils();
        #[cfg(all(
            unix,
            not(any(target_os = "macos", target_os = "ios", target_os = "android")),
            feature = "secret-service"
        ))]
        return Self::secret_service();
        #[cfg(all(target_os = "macos", feature = "apple-keychain"))]
        return Self::apple_keychain();
        #[cfg(all(target_os = "windows", feature = "windows-credential-manager"))]
        return Self::windows_credential_manager();
        Err(KeyringError::new(NO_STORE))
    }

    /// The Linux kernel keyring (keyutils).
    ///
    /// Entries live in kernel memory: they are gone after a reboot, and a
    /// process sees them only through a session keyring (run services with
    /// one, e.g. `keyctl session - <command>` or systemd's `KeyringMode=`).
    ///
    /// # Errors
    ///
    /// When the store cannot be opened.
    #[cfg(all(target_os = "linux", feature = "keyutils"))]
    pub fn keyutils() -> Result<Self, KeyringError> {
        let store = linux_keyutils_keyring_store::Store::new().map_err(describe)?;
        Ok(Self::from_store(store, "keyutils"))
    }

    /// The freedesktop Secret Service (needs a session D-Bus and a running
    /// secret service such as GNOME Keyring).
    ///
    /// # Errors
    ///
    /// When the service cannot be reached.
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android")),
        feature = "secret-service"
    ))]
    pub fn secret_service() -> Result<Self, KeyringError> {
        let store = zbus_secret_service_keyring_store::Store::new().map_err(describe)?;
        Ok(Self::from_store(store, "secret-service"))
    }

    /// The macOS Keychain.
    ///
    /// # Errors
    ///
    /// When the keychain cannot be opened.
    #[cfg(all(target_os = "macos", feature = "apple-keychain"))]
    pub fn apple_keychain() -> Result<Self, KeyringError> {
        let store = apple_native_keyring_store::keychain::Store::new().map_err(describe)?;
        Ok(Self::from_store(store, "apple-keychain"))
    }

    /// The Windows Credential Manager.
    ///
    /// # Errors
    ///
    /// When the credential manager cannot be opened.
    #[cfg(all(target_os = "windows", feature = "windows-credential-manager"))]
    pub fn windows_credential_manager() -> Result<Self, KeyringError> {
        let store = windows_native_keyring_store::Store::new().map_err(describe)?;
        Ok(Self::from_store(store, "windows-credential-manager"))
    }

    /// Any `keyring-core` store, under a `name` for logs and `Debug`.
    pub fn from_store(store: Arc<CredentialStore>, name: &'static str) -> Self {
        Self { store, name }
    }

    /// The store's short name (`keyutils`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Reads the secret of `service`/`user`.
    ///
    /// # Errors
    ///
    /// When there is no such entry, the store fails, or the value is empty
    /// or not UTF-8.
    pub fn get(&self, service: &str, user: &str) -> Result<SecretString, KeyringError> {
        let raw = self.get_raw(service, user).map_err(KeyringError::new)?;
        super::into_secret_string(raw).map_err(KeyringError::new)
    }

    /// Stores `secret` as `service`/`user`, replacing any previous value.
    ///
    /// # Errors
    ///
    /// When the store refuses it.
    pub fn set(
        &self,
        service: &str,
        user: &str,
        secret: &SecretString,
    ) -> Result<(), KeyringError> {
        let entry = self.entry(service, user)?;
        entry
            .set_secret(secret.expose_secret().as_bytes())
            .map_err(describe)
    }

    /// Deletes `service`/`user`.
    ///
    /// # Errors
    ///
    /// When there is no such entry or the store refuses.
    pub fn delete(&self, service: &str, user: &str) -> Result<(), KeyringError> {
        self.entry(service, user)?
            .delete_credential()
            .map_err(describe)
    }

    pub(super) fn get_raw(&self, service: &str, user: &str) -> Result<Zeroizing<Vec<u8>>, String> {
        let entry = self.entry(service, user).map_err(|e| e.message)?;
        let raw = entry.get_secret().map_err(|e| describe(e).message)?;
        Ok(Zeroizing::new(raw))
    }

    fn entry(&self, service: &str, user: &str) -> Result<Entry, KeyringError> {
        self.store.build(service, user, None).map_err(describe)
    }
}

impl fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringStore")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Our own words for a `keyring-core` error: its variants that carry the
/// stored bytes are zeroized and never printed.
fn describe(error: Error) -> KeyringError {
    let message = match error {
        Error::NoEntry => "no such entry in the credential store".to_owned(),
        Error::NoStorageAccess(e) => format!("the credential store cannot be reached: {e}"),
        Error::PlatformFailure(e) => format!("the credential store failed: {e}"),
        Error::BadEncoding(mut bytes) | Error::BadDataFormat(mut bytes, _) => {
            bytes.zeroize();
            "the stored value is malformed".to_owned()
        }
        Error::BadStoreFormat(_) => "the credential store is malformed".to_owned(),
        Error::TooLong(field, limit) => format!("the {field} is longer than the store's {limit}"),
        Error::Invalid(field, reason) => format!("the {field} is invalid: {reason}"),
        Error::Ambiguous(entries) => format!("{} entries match", entries.len()),
        Error::NoDefaultStore => "no credential store is set".to_owned(),
        Error::NotSupportedByStore(what) => format!("not supported by the store: {what}"),
        _ => "the credential store failed".to_owned(),
    };
    KeyringError::new(message)
}
