//! Stores a key in the OS credential store, loads it through a source
//! chain, and deletes it.
//!
//! On Linux (kernel keyring) run it inside a session keyring:
//!
//! `keyctl session - cargo run -p rimguard-secrets --example keyring_roundtrip`

use rimguard_secrets::secret::{ExposeSecret, SecretString};
use rimguard_secrets::source::{KeyringStore, Resolver, SecretSource};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = KeyringStore::native()?;
    let user = format!("example-{}", std::process::id());
    store.set(
        "rimguard-example",
        &user,
        &SecretString::from("rg_live_example_0123456789"),
    )?;

    let chain: Vec<SecretSource> = vec![
        format!("keyring:rimguard-example/{user}").parse()?,
        "env:RIMGUARD_EXAMPLE_KEY".parse()?,
    ];
    let loaded = Resolver::new()
        .with_keyring(store.clone())
        .load("example", &chain);
    store.delete("rimguard-example", &user)?;

    let loaded = loaded?;
    println!("store: {}", store.name());
    println!(
        "loaded from {} ({} bytes); Debug shows {:?}",
        loaded.source(),
        loaded.secret().expose_secret().len(),
        loaded.secret()
    );
    Ok(())
}
