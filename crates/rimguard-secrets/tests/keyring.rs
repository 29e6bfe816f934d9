//! The `keyring:` source against the real Linux kernel keyring.
//!
//! Run inside a session keyring: `keyctl session - bash -c 'cargo test -p rimguard-secrets'`.
//! Outside one (a container without a session keyring) the tests say why
//! and pass, except when `CI=true`: there an unusable keyring fails them.
#![cfg(all(target_os = "linux", feature = "keyutils"))]

mod common;

use std::time::{Duration, Instant};

use rimguard_secrets::secret::{ExposeSecret, SecretString};
use rimguard_secrets::source::{KeyringStore, Resolver, SecretSource};

const SERVICE: &str = "rimguard-secrets-test";

/// An entry made for one test and deleted when it ends.
struct Entry<'a> {
    store: &'a KeyringStore,
    user: String,
}

impl<'a> Entry<'a> {
    fn new(store: &'a KeyringStore, value: &str) -> Self {
        let user = common::unique("key");
        store
            .set(SERVICE, &user, &SecretString::from(value))
            .unwrap();
        Self { store, user }
    }

    fn source(&self) -> SecretSource {
        format!("keyring:{SERVICE}/{}", self.user).parse().unwrap()
    }
}

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        let _ = self.store.delete(SERVICE, &self.user);
    }
}

/// The keyutils store, after a write-read-delete probe; `None` (with the
/// reason printed) when it is unusable outside CI.
fn keyutils_or_skip() -> Option<KeyringStore> {
    let probe = || -> Result<KeyringStore, String> {
        let store = KeyringStore::keyutils().map_err(|e| e.to_string())?;
        let user = common::unique("probe");
        store
            .set(SERVICE, &user, &SecretString::from("probe-value"))
            .map_err(|e| e.to_string())?;
        let read = store.get(SERVICE, &user).map_err(|e| e.to_string());
        store.delete(SERVICE, &user).map_err(|e| e.to_string())?;
        read?;
        Ok(store)
    };
    match probe() {
        Ok(store) => Some(store),
        Err(reason) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "the kernel keyring is unusable under CI (run the tests in `keyctl session -`): {reason}"
            )
        }
        Err(reason) => {
            eprintln!(
                "skipping: the kernel keyring is unusable here ({reason}); run in `keyctl session -`"
            );
            None
        }
    }
}

#[test]
fn a_secret_stored_in_the_kernel_keyring_is_loaded_from_it() {
    let Some(store) = keyutils_or_skip() else {
        return;
    };
    let entry = Entry::new(&store, "rg_live_keyring_0123456789abcdef");
    let resolver = Resolver::new()
        .with_keyring(store.clone())
        .with_env(|_| None);

    let loaded = resolver.load("bot_key", &[entry.source()]).unwrap();

    assert_eq!(
        loaded.secret().expose_secret(),
        "rg_live_keyring_0123456789abcdef"
    );
    assert_eq!(loaded.source(), &entry.source());
}

#[test]
fn the_native_store_on_linux_is_the_kernel_keyring() {
    let Some(_) = keyutils_or_skip() else { return };
    let store = KeyringStore::native().unwrap();
    assert_eq!(store.name(), "keyutils");
    let entry = Entry::new(&store, "native-store-value-0123");
    let loaded = Resolver::new().load("x", &[entry.source()]).unwrap();
    assert_eq!(loaded.secret().expose_secret(), "native-store-value-0123");
}

#[test]
fn the_keyring_comes_first_when_listed_first_and_env_is_the_fallback() {
    let Some(store) = keyutils_or_skip() else {
        return;
    };
    let entry = Entry::new(&store, "from-the-keyring-0123456");
    let env: SecretSource = "env:BOT_KEY".parse().unwrap();
    let resolver = Resolver::new()
        .with_keyring(store.clone())
        .with_env(|name| (name == "BOT_KEY").then(|| "from-the-env-0123456789".to_owned()));

    let keyring_first = resolver
        .load("bot", &[entry.source(), env.clone()])
        .unwrap();
    assert_eq!(
        keyring_first.secret().expose_secret(),
        "from-the-keyring-0123456"
    );
    let env_first = resolver
        .load("bot", &[env.clone(), entry.source()])
        .unwrap();
    assert_eq!(
        env_first.secret().expose_secret(),
        "from-the-env-0123456789"
    );

    let missing: SecretSource = format!("keyring:{SERVICE}/{}", common::unique("absent"))
        .parse()
        .unwrap();
    let fallback = resolver.load("bot", &[missing, env]).unwrap();
    assert_eq!(fallback.source().to_string(), "env:BOT_KEY");
}

#[test]
fn a_deleted_entry_is_reported_as_missing_by_name() {
    let Some(store) = keyutils_or_skip() else {
        return;
    };
    let entry = Entry::new(&store, "short-lived-value-012345");
    let source = entry.source();
    let resolver = Resolver::new().with_keyring(store.clone());
    store.delete(SERVICE, &entry.user).unwrap();

    // keyutils may serve a just-invalidated key for a few milliseconds.
    let deadline = Instant::now() + Duration::from_secs(5);
    let error = loop {
        match resolver.load("gone", std::slice::from_ref(&source)) {
            Err(error) => break error,
            Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(_) => panic!("the deleted entry is still served after 5 s"),
        }
    };

    let text = error.to_string();
    assert!(text.contains(&source.to_string()), "{text}");
    assert!(text.contains("no such entry"), "{text}");
    assert!(!text.contains("short-lived-value"), "{text}");
}

#[test]
fn a_keyring_value_is_never_in_debug_output() {
    let Some(store) = keyutils_or_skip() else {
        return;
    };
    let entry = Entry::new(&store, common::CANARY);
    let loaded = Resolver::new()
        .with_keyring(store.clone())
        .load("x", &[entry.source()])
        .unwrap();
    let printed = format!("{loaded:?} {loaded:#?} {store:?}");
    assert!(!printed.contains(common::CANARY), "{printed}");
}
