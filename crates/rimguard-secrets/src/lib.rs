//! Secrets for rimguard: where keys come from, how they rotate, and the
//! layers that check incoming API keys and webhook signatures.
//!
//! | module | what it gives |
//! | --- | --- |
//! | [`secret`] | the `secrecy` types secrets are held in, and constant-time equality |
//! | [`source`] | [`SecretSource`]s (`keyring:`, `file:`, `env:`, `dotenv:`) and the [`Resolver`] that tries them in order |
//! | [`key`], [`rotation`] | API keys kept as SHA-256 digests with an id, a non-revealing prefix and a creation time; a primary and a secondary slot; rotation warnings |
//! | [`api_key`] | [`ApiKeyLayer`]: `Authorization: Bearer` or a named header, scopes, 401/403 problem+json |
//! | [`signature`] | [`HmacSignatureLayer`]: an HMAC of the raw body in a header, for any provider |
//! | [`webhook`] | [`WebhookSignatureLayer`]: the WhatsApp Cloud API's `X-Hub-Signature-256` and subscription handshake |
//! | [`client`] | [`SetSecretHeaderLayer`]: a secret header on outgoing requests, marked sensitive |
//! | [`config`] | serde types for `[secrets.<name>]`, `[api_keys.<name>]` and `[webhooks.<name>]` |
//!
//! Secrets never print: they have no `Display`, their `Debug` is
//! `[REDACTED]`, they have no `Serialize`, errors name sources and reasons
//! but never values, and logs (target `rimguard::secrets`) carry key ids
//! and prefixes only.
//!
//! # Example
//!
//! A service that accepts the bot's key, loaded from the environment here
//! (from the OS credential store in production: `keyring:rimguard/bot_key`):
//!
//! ```
//! use bytes::Bytes;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::Empty;
//! use rimguard_core::ApiKeyId;
//! use rimguard_secrets::config::ApiKeysConfig;
//! use rimguard_secrets::source::Resolver;
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let config: ApiKeysConfig = toml::from_str(r#"
//!     keys = ["keyring:rimguard/bot_key", "env:BOT_KEY"]
//!     scopes = ["read"]
//! "#).unwrap();
//! # let config: ApiKeysConfig = toml::from_str(r#"
//! #     keys = ["env:BOT_KEY"]
//! #     scopes = ["read"]
//! # "#).unwrap();
//! let resolver = Resolver::new()
//!     .with_env(|name| (name == "BOT_KEY").then(|| "rg_live_ab12cd34ef56gh78ij90".to_owned()));
//! let layer = config.build("bot", &resolver).unwrap();
//!
//! let service = ServiceBuilder::new().layer(layer).service(service_fn(|request: Request<Empty<Bytes>>| async move {
//!     let id = request.extensions().get::<ApiKeyId>().unwrap();
//!     Ok::<_, std::convert::Infallible>(Response::new(id.to_string()))
//! }));
//!
//! let read = Request::get("/customers/by-phone")
//!     .header("authorization", "Bearer rg_live_ab12cd34ef56gh78ij90")
//!     .body(Empty::new())
//!     .unwrap();
//! assert_eq!(service.clone().oneshot(read).await.unwrap().status(), StatusCode::OK);
//!
//! let write = Request::post("/orders")
//!     .header("authorization", "Bearer rg_live_ab12cd34ef56gh78ij90")
//!     .body(Empty::new())
//!     .unwrap();
//! assert_eq!(service.oneshot(write).await.unwrap().status(), StatusCode::FORBIDDEN);
//! # }
//! ```
//!
//! The `examples/` folder has runnable programs: `api_key_server` (axum),
//! `whatsapp_webhook` (hyper), `shop_client` (the client-side header) and
//! `keyring_roundtrip` (store, load and delete a key in the OS store).
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `keyutils` | yes | the Linux kernel keyring as the `keyring:` store on Linux |
//! | `secret-service` | no | the freedesktop Secret Service (GNOME Keyring, KWallet) on Linux and BSD |
//! | `apple-keychain` | no | the macOS Keychain |
//! | `windows-credential-manager` | no | the Windows Credential Manager |
//! | `serde-secrets` | no | `Deserialize` for `secrecy` secret types (they never get `Serialize`) |
//!
//! A platform store's feature does nothing on other platforms. With no
//! store for the platform, `keyring:` sources fail with a reason naming
//! the feature to enable; nothing ever falls back to a mock store.
//!
//! # Choices
//!
//! - The credential stores come from the `keyring` project (version 4
//!   split it into `keyring-core` and one crate per store). This crate uses
//!   `keyring-core` with the store crates directly, as the `keyring` crate
//!   itself recommends for applications that pick their stores, so a Linux
//!   build does not pull in the D-Bus stack unless `secret-service` is on.
//! - `secrecy`/`zeroize` for secret memory, `subtle` for constant-time
//!   comparison, RustCrypto's `sha2`/`hmac` (SHA-NI is used at run time on
//!   x86-64 CPUs that have it), `arc-swap` for atomic key-set swaps: the
//!   widely used crates for each job.
//!
//! # Limitations
//!
//! - The Unix `file:` check refuses any group or other permission bits;
//!   it does not check the file's owner or the directory's permissions.
//! - A key without a configured `created` date, read from a source other
//!   than a file, is aged from the time it was loaded, so its first
//!   rotation warning comes one period after the service started.
//! - The age check runs when a key set is built or changed, and when
//!   [`ApiKeys::check_rotation`](rotation::ApiKeys::check_rotation) is
//!   called; the crate starts no timer of its own.
//! - Copies outside `secrecy`'s control are not zeroized: `http`'s
//!   `HeaderValue` (the incoming `Authorization` header, the outgoing one
//!   set by [`SetSecretHeaderLayer`]), and the per-request copy of an HMAC
//!   state on the stack. A webhook secret is kept only as its HMAC key
//!   schedules (computed once, so a request pays for the MAC of its body
//!   alone); `hmac` 0.12 has no `zeroize` support, so they are overwritten
//!   on drop on a best-effort basis (`std::hint::black_box`), not with the
//!   volatile writes of `zeroize`.
//! - Signature algorithms are HMAC-SHA256 and HMAC-SHA512; providers that
//!   sign with SHA-1 or with asymmetric keys (Ed25519) are not covered.
//! - Webhook bodies are read whole into memory, up to the bound, before the
//!   inner service runs.
//! - Scopes are `read` (safe methods) and `write` (the rest), decided by
//!   method alone; finer rules (per route, per resource) belong to the
//!   routes that pick which key set guards them.
//! - A key set has two slots; more keys at once (many clients with a key
//!   each) take one [`ApiKeys`] and layer per client group.

pub mod api_key;
pub mod client;
pub mod clock;
pub mod config;
pub mod key;
mod refusal;
pub mod rotation;
pub mod secret;
pub mod signature;
pub mod source;
pub mod webhook;

pub use api_key::ApiKeyLayer;
pub use client::SetSecretHeaderLayer;
pub use rotation::ApiKeys;
pub use signature::HmacSignatureLayer;
pub use source::{Resolver, SecretSource};
pub use webhook::WebhookSignatureLayer;
