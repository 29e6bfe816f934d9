//! The `[gateway]` section: what `rimguard serve` listens on and forwards to.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

use super::duration;

/// The `[gateway]` section.
///
/// ```toml
/// [gateway]
/// listen = "0.0.0.0:8443"
/// upstream = "http://127.0.0.1:3000"
/// request_timeout = "30s"
/// tls = { cert = "tls/cert.pem", key = "tls/key.pem" }
/// metrics = { allow = ["127.0.0.1/32", "::1/128"] }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The upstream service, an `http://` URL with no path.
    pub upstream: String,
    /// How long a whole request may take upstream, headers of the response
    /// included (default `30s`); a timeout answers `504`.
    #[serde(default = "thirty_seconds", with = "duration")]
    pub request_timeout: Duration,
    /// How long connecting to the upstream may take (default `5s`).
    #[serde(default = "five_seconds", with = "duration")]
    pub connect_timeout: Duration,
    /// How long a client may take to send its request headers (default `10s`).
    #[serde(default = "ten_seconds", with = "duration")]
    pub header_read_timeout: Duration,
    /// TLS termination; plain HTTP when absent.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// The health and metrics endpoints.
    #[serde(default)]
    pub metrics: MetricsConfig,
}

/// The `tls` table of `[gateway]`: PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1). Its file should be
    /// readable by the gateway's user only.
    pub key: PathBuf,
}

/// The `metrics` table of `[gateway]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// The health endpoint's path (default `/healthz`), answered by the
    /// gateway itself, before the stack, to anyone.
    #[serde(default = "healthz")]
    pub health_path: String,
    /// The Prometheus endpoint's path (default `/metrics`).
    #[serde(default = "metrics")]
    pub metrics_path: String,
    /// The socket peers allowed to read metrics (default loopback only).
    #[serde(default = "loopback")]
    pub allow: Vec<IpNet>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            health_path: healthz(),
            metrics_path: metrics(),
            allow: loopback(),
        }
    }
}

fn thirty_seconds() -> Duration {
    Duration::from_secs(30)
}

fn ten_seconds() -> Duration {
    Duration::from_secs(10)
}

fn five_seconds() -> Duration {
    Duration::from_secs(5)
}

fn healthz() -> String {
    "/healthz".into()
}

fn metrics() -> String {
    "/metrics".into()
}

fn loopback() -> Vec<IpNet> {
    let v4 = "127.0.0.0/8".parse().expect("a literal network parses");
    let v6 = "::1/128".parse().expect("a literal network parses");
    vec![v4, v6]
}
