//! [`ClientIpConfig`], the `[client_ip]` table of `rimguard.toml`.

use std::net::IpAddr;

use http::HeaderName;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::{
    ClientIpBuilder, ClientIpLayer, ClientIpResolver, FailurePolicies, FailurePolicy,
    ForwardingHeader, Strategy,
};
use crate::ConfigError;

/// The client IP configuration, as written in the `[client_ip]` table.
///
/// ```toml
/// [client_ip]
/// strategy = "rightmost-untrusted"    # or "peer", "trusted-count", "header"
/// headers = ["forwarded", "x-forwarded-for"]
/// trusted_proxies = ["10.0.0.0/8", "::1"]
/// on_failure = "reject"               # or "peer"
/// ```
///
/// Which fields apply depends on the strategy; a field that does not apply
/// is refused rather than ignored:
///
/// | strategy | needs | refuses |
/// | --- | --- | --- |
/// | `peer` | nothing | `headers`, `header`, `trusted_hops` |
/// | `rightmost-untrusted` | `headers` (one or both), `trusted_proxies`, `on_failure` | `header`, `trusted_hops` |
/// | `trusted-count` | `headers` (exactly one), `trusted_hops`, `trusted_proxies`, `on_failure` | `header` |
/// | `header` | `header`, `trusted_proxies`, `on_failure` | `headers`, `trusted_hops` |
///
/// `on_malformed`, `on_too_few_entries` and `on_all_trusted` override
/// `on_failure` for one kind of failure (see [`FailurePolicies`]);
/// `max_entries` and `max_bytes` bound the chain (see
/// [`Limits`](super::Limits)). A trusted proxy is a CIDR range or a single
/// address.
///
/// Errors name the field relative to the table (`trusted_proxies[1]`); the
/// caller prefixes the table with [`ConfigError::within`].
///
/// # Example
///
/// ```
/// use rimguard_core::client_ip::ClientIpConfig;
///
/// let config: ClientIpConfig = serde_json::from_value(serde_json::json!({
///     "strategy": "header",
///     "header": "cf-connecting-ip",
///     "trusted_proxies": ["173.245.48.0/20"],
///     "on_failure": "reject",
/// }))?;
/// let layer = config.build()?;
/// # let _ = layer;
///
/// let bad: ClientIpConfig = serde_json::from_value(serde_json::json!({
///     "strategy": "rightmost-untrusted",
///     "headers": ["x-forwarded-for"],
///     "trusted_proxies": ["10.0.0.1/8"],
///     "on_failure": "reject",
/// }))?;
/// let error = bad.build().unwrap_err().within("client_ip");
/// assert_eq!(error.field(), "client_ip.trusted_proxies[0]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientIpConfig {
    /// How the address is found.
    pub strategy: StrategyName,
    /// The chain headers: `"forwarded"`, `"x-forwarded-for"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    /// The single-address header of strategy `header`, such as
    /// `"cf-connecting-ip"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// The number of proxies, the socket peer included, for strategy
    /// `trusted-count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_hops: Option<u32>,
    /// The trusted proxies: CIDR ranges or single addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_proxies: Vec<String>,
    /// What happens when the address cannot be resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<FailurePolicy>,
    /// Overrides `on_failure` for malformed, obfuscated, oversized or
    /// ambiguous chains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_malformed: Option<FailurePolicy>,
    /// Overrides `on_failure` for chains with too few entries (or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_too_few_entries: Option<FailurePolicy>,
    /// Overrides `on_failure` for chains of trusted proxies only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_all_trusted: Option<FailurePolicy>,
    /// The most entries a chain may hold (default 32, at most 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<usize>,
    /// The most bytes a chain may hold (default 4096).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<usize>,
}

/// The name of a [`Strategy`] in configuration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyName {
    /// [`Strategy::Peer`].
    Peer,
    /// [`Strategy::RightmostUntrusted`].
    RightmostUntrusted,
    /// [`Strategy::TrustedCount`].
    TrustedCount,
    /// [`Strategy::Header`].
    Header,
}

impl Default for ClientIpConfig {
    /// The socket peer only: the one strategy that is safe without knowing
    /// the deployment.
    fn default() -> Self {
        Self {
            strategy: StrategyName::Peer,
            headers: Vec::new(),
            header: None,
            trusted_hops: None,
            trusted_proxies: Vec::new(),
            on_failure: None,
            on_malformed: None,
            on_too_few_entries: None,
            on_all_trusted: None,
            max_entries: None,
            max_bytes: None,
        }
    }
}

impl ClientIpConfig {
    /// Builds the layer.
    ///
    /// # Errors
    ///
    /// As [`ClientIpConfig::builder`] and [`ClientIpBuilder::build`].
    pub fn build(&self) -> Result<ClientIpLayer, ConfigError> {
        self.builder()?.build()
    }

    /// Builds the resolver alone.
    ///
    /// # Errors
    ///
    /// As [`ClientIpConfig::build`].
    pub fn build_resolver(&self) -> Result<ClientIpResolver, ConfigError> {
        self.builder()?.build_resolver()
    }

    /// The builder this configuration describes, before the checks that
    /// [`ClientIpBuilder::build`] makes.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for a field that does not apply to the strategy, a
    /// missing field that does, an unknown header name or an unparsable
    /// trusted proxy.
    pub fn builder(&self) -> Result<ClientIpBuilder, ConfigError> {
        let strategy = self.strategy()?;
        let trusted = self.trusted_ranges()?;
        let mut builder = ClientIpBuilder::new(strategy).trusted_proxies(trusted);

        if let Some(policies) = self.policies()? {
            builder = builder.failure_policies(policies);
        }
        if let Some(max_entries) = self.max_entries {
            builder = builder.max_entries(max_entries);
        }
        if let Some(max_bytes) = self.max_bytes {
            builder = builder.max_bytes(max_bytes);
        }
        Ok(builder)
    }

    fn strategy(&self) -> Result<Strategy, ConfigError> {
        let strategy = match self.strategy {
            StrategyName::Peer => {
                self.refuse_unless(false, false, false)?;
                Strategy::Peer
            }
            StrategyName::RightmostUntrusted => {
                self.refuse_unless(true, false, false)?;
                Strategy::RightmostUntrusted {
                    headers: self.chain_headers()?,
                }
            }
            StrategyName::TrustedCount => {
                self.refuse_unless(true, false, true)?;
                self.trusted_count()?
            }
            StrategyName::Header => {
                self.refuse_unless(false, true, false)?;
                Strategy::Header {
                    name: self.single_header()?,
                }
            }
        };
        Ok(strategy)
    }

    /// Refuses the strategy-specific fields that the strategy does not use.
    fn refuse_unless(&self, headers: bool, header: bool, hops: bool) -> Result<(), ConfigError> {
        let strategy = self.strategy_str();
        let refuse = |field: &str| {
            let message = format!("does not apply to strategy \"{strategy}\"");
            Err(ConfigError::new(field, message))
        };
        if !headers && !self.headers.is_empty() {
            return refuse("headers");
        }
        if !header && self.header.is_some() {
            return refuse("header");
        }
        if !hops && self.trusted_hops.is_some() {
            return refuse("trusted_hops");
        }
        Ok(())
    }

    fn strategy_str(&self) -> &'static str {
        match self.strategy {
            StrategyName::Peer => "peer",
            StrategyName::RightmostUntrusted => "rightmost-untrusted",
            StrategyName::TrustedCount => "trusted-count",
            StrategyName::Header => "header",
        }
    }

    fn chain_headers(&self) -> Result<Vec<ForwardingHeader>, ConfigError> {
        let parse = |(index, name): (usize, &String)| {
            forwarding_header(name).ok_or_else(|| {
                let message = "unknown chain header; expected \"forwarded\" or \"x-forwarded-for\"";
                ConfigError::new(format!("headers[{index}]"), message)
            })
        };
        self.headers.iter().enumerate().map(parse).collect()
    }

    fn trusted_count(&self) -> Result<Strategy, ConfigError> {
        let mut headers = self.chain_headers()?;
        if headers.len() != 1 {
            return Err(ConfigError::new(
                "headers",
                "strategy \"trusted-count\" reads exactly one header",
            ));
        }
        let hops = self.trusted_hops.ok_or_else(|| {
            ConfigError::new(
                "trusted_hops",
                "strategy \"trusted-count\" needs the number of proxies",
            )
        })?;
        Ok(Strategy::TrustedCount {
            header: headers.remove(0),
            hops,
        })
    }

    fn single_header(&self) -> Result<HeaderName, ConfigError> {
        let name = self.header.as_deref().ok_or_else(|| {
            ConfigError::new("header", "strategy \"header\" needs the header's name")
        })?;
        HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ConfigError::new("header", "not a valid header name"))
    }

    fn trusted_ranges(&self) -> Result<Vec<IpNet>, ConfigError> {
        let parse = |(index, text): (usize, &String)| {
            trusted_range(text).ok_or_else(|| {
                let message = "not a CIDR range (such as 10.0.0.0/8) or an address";
                ConfigError::new(format!("trusted_proxies[{index}]"), message)
            })
        };
        self.trusted_proxies.iter().enumerate().map(parse).collect()
    }

    fn policies(&self) -> Result<Option<FailurePolicies>, ConfigError> {
        let overrides = [
            self.on_malformed,
            self.on_too_few_entries,
            self.on_all_trusted,
        ];
        let Some(default) = self.on_failure else {
            if overrides.iter().any(Option::is_some) {
                let message = "set on_failure as well; the overrides refine it";
                return Err(ConfigError::new("on_failure", message));
            }
            return Ok(None);
        };
        Ok(Some(FailurePolicies {
            malformed: self.on_malformed.unwrap_or(default),
            too_few_entries: self.on_too_few_entries.unwrap_or(default),
            all_trusted: self.on_all_trusted.unwrap_or(default),
        }))
    }
}

fn forwarding_header(name: &str) -> Option<ForwardingHeader> {
    [ForwardingHeader::Forwarded, ForwardingHeader::XForwardedFor]
        .into_iter()
        .find(|header| header.as_str().eq_ignore_ascii_case(name.trim()))
}

/// A CIDR range, or a single address as its host range.
fn trusted_range(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if text.contains('/') {
        return text.parse().ok();
    }
    text.parse::<IpAddr>().ok().map(IpNet::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: serde_json::Value) -> ClientIpConfig {
        serde_json::from_value(json).unwrap()
    }

    fn error(json: serde_json::Value) -> ConfigError {
        config(json).build().unwrap_err()
    }

    #[test]
    fn the_default_is_the_peer_strategy() {
        let layer = ClientIpConfig::default().build().unwrap();
        assert_eq!(layer.resolver().strategy(), &Strategy::Peer);
    }

    #[test]
    fn the_architecture_sketch_builds() {
        let config = config(serde_json::json!({
            "strategy": "rightmost-untrusted",
            "headers": ["forwarded", "X-Forwarded-For"],
            "trusted_proxies": ["10.0.0.0/8", "::1/128", "192.0.2.1"],
            "on_failure": "reject",
            "on_too_few_entries": "peer",
        }));
        let resolver = config.build_resolver().unwrap();
        assert_eq!(resolver.trusted_proxies().ranges().len(), 3);
        assert_eq!(
            resolver.failure_policies().too_few_entries,
            FailurePolicy::Peer
        );
        assert_eq!(resolver.failure_policies().malformed, FailurePolicy::Reject);
    }

    #[test]
    fn the_toml_table_of_the_architecture_sketch_parses() {
        #[derive(Deserialize)]
        struct File {
            client_ip: ClientIpConfig,
        }
        let text = r#"
            [client_ip]
            strategy = "rightmost-untrusted"        # or "peer", "trusted-count", "header"
            headers = ["forwarded", "x-forwarded-for"]
            trusted_proxies = ["10.0.0.0/8", "::1/128"]
            on_failure = "reject"                   # or "peer"
        "#;
        let file: File = toml::from_str(text).unwrap();
        let resolver = file.client_ip.build_resolver().unwrap();
        assert_eq!(resolver.strategy().name(), "rightmost-untrusted");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let result = serde_json::from_value::<ClientIpConfig>(serde_json::json!({
            "strategy": "peer", "trusted_proxy": ["10.0.0.0/8"],
        }));
        assert!(result.unwrap_err().to_string().contains("unknown field"));
    }

    #[test]
    fn an_unknown_strategy_is_refused() {
        let result =
            serde_json::from_value::<ClientIpConfig>(serde_json::json!({ "strategy": "leftmost" }));
        assert!(result.is_err());
    }

    #[test]
    fn fields_that_do_not_apply_are_refused() {
        let e = error(serde_json::json!({ "strategy": "peer", "headers": ["forwarded"] }));
        assert_eq!(e.field(), "headers");
        let e = error(serde_json::json!({
            "strategy": "rightmost-untrusted", "headers": ["forwarded"], "trusted_hops": 2,
            "trusted_proxies": ["10.0.0.0/8"], "on_failure": "reject",
        }));
        assert_eq!(e.field(), "trusted_hops");
    }

    #[test]
    fn a_header_strategy_needs_a_failure_policy_and_trusted_proxies() {
        let e = error(serde_json::json!({
            "strategy": "rightmost-untrusted", "headers": ["forwarded"], "trusted_proxies": ["10.0.0.0/8"],
        }));
        assert_eq!(e.field(), "on_failure");
        let e = error(serde_json::json!({
            "strategy": "rightmost-untrusted", "headers": ["forwarded"], "on_failure": "peer",
        }));
        assert_eq!(e.field(), "trusted_proxies");
    }

    #[test]
    fn bad_values_name_their_index() {
        let e = error(serde_json::json!({
            "strategy": "rightmost-untrusted", "headers": ["x-forwarded-for", "x-real-ip"],
            "trusted_proxies": ["10.0.0.0/8"], "on_failure": "reject",
        }));
        assert_eq!(e.field(), "headers[1]");
        let e = error(serde_json::json!({
            "strategy": "rightmost-untrusted", "headers": ["x-forwarded-for"],
            "trusted_proxies": ["10.0.0.0/8", "not-an-address"], "on_failure": "reject",
        }));
        assert_eq!(e.field(), "trusted_proxies[1]");
        let e = error(serde_json::json!({
            "strategy": "rightmost-untrusted", "headers": ["x-forwarded-for"],
            "trusted_proxies": ["::/0"], "on_failure": "reject",
        }));
        assert_eq!(e.field(), "trusted_proxies[0]");
    }

    #[test]
    fn trusted_count_needs_one_header_and_a_nonzero_count() {
        let base = serde_json::json!({
            "strategy": "trusted-count", "headers": ["x-forwarded-for"],
            "trusted_proxies": ["10.0.0.0/8"], "on_failure": "reject",
        });
        assert_eq!(error(base.clone()).field(), "trusted_hops");
        let mut zero = base.clone();
        zero["trusted_hops"] = 0.into();
        assert_eq!(error(zero).field(), "trusted_hops");
        let mut two_headers = base.clone();
        two_headers["trusted_hops"] = 2.into();
        two_headers["headers"] = serde_json::json!(["forwarded", "x-forwarded-for"]);
        assert_eq!(error(two_headers).field(), "headers");
        let mut good = base;
        good["trusted_hops"] = 2.into();
        assert!(config(good).build().is_ok());
    }

    #[test]
    fn the_header_strategy_refuses_chain_headers_and_bad_names() {
        let base = serde_json::json!({
            "strategy": "header", "trusted_proxies": ["10.0.0.0/8"], "on_failure": "reject",
        });
        assert_eq!(error(base.clone()).field(), "header");
        for name in ["x-forwarded-for", "Forwarded", "bad header"] {
            let mut bad = base.clone();
            bad["header"] = name.into();
            assert_eq!(error(bad).field(), "header", "{name}");
        }
    }

    #[test]
    fn limits_are_checked() {
        let e = error(serde_json::json!({ "strategy": "peer", "max_entries": 0 }));
        assert_eq!(e.field(), "max_entries");
        let e = error(serde_json::json!({ "strategy": "peer", "max_entries": 65 }));
        assert_eq!(e.field(), "max_entries");
        let e = error(serde_json::json!({ "strategy": "peer", "max_bytes": 0 }));
        assert_eq!(e.field(), "max_bytes");
    }

    #[test]
    fn overrides_without_on_failure_are_refused() {
        let e = error(serde_json::json!({ "strategy": "peer", "on_all_trusted": "peer" }));
        assert_eq!(e.field(), "on_failure");
    }

    #[test]
    fn a_config_survives_a_round_trip() {
        let original = config(serde_json::json!({
            "strategy": "trusted-count", "headers": ["forwarded"], "trusted_hops": 2,
            "trusted_proxies": ["10.0.0.0/8"], "on_failure": "peer", "max_bytes": 1024,
        }));
        let text = serde_json::to_string(&original).unwrap();
        assert_eq!(
            serde_json::from_str::<ClientIpConfig>(&text).unwrap(),
            original
        );
    }
}
