//! Building the [`Stack`] that a [`Config`] describes.

#[cfg(any(feature = "secrets", feature = "phone"))]
use std::collections::HashMap;

use rimguard_core::ConfigError;

use crate::config::{Config, RouteConfig};
use crate::stack::{Route, Stack, StackBuilder};

/// What building a stack from configuration needs besides the file: where
/// secrets are read from, and so on. [`BuildContext::default`] reads
/// secrets from the OS credential store and the process environment.
#[derive(Debug, Default, Clone)]
pub struct BuildContext {
    #[cfg(feature = "secrets")]
    resolver: rimguard_secrets::Resolver,
}

impl BuildContext {
    /// A context with the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads secrets through `resolver` (to turn on `.env` files in
    /// development, or to read the environment from a map in tests).
    #[cfg(feature = "secrets")]
    pub fn resolver(mut self, resolver: rimguard_secrets::Resolver) -> Self {
        self.resolver = resolver;
        self
    }

    /// The resolver secrets are read through.
    #[cfg(feature = "secrets")]
    pub fn secret_resolver(&self) -> &rimguard_secrets::Resolver {
        &self.resolver
    }
}

/// The type of a loaded secret, or a placeholder without the `secrets`
/// feature (the redactor then registers none).
#[cfg(feature = "redact")]
mod rimguard_secrets_or_unit {
    #[cfg(feature = "secrets")]
    pub(crate) type Secret = rimguard_secrets::secret::SecretString;
    #[cfg(not(feature = "secrets"))]
    pub(crate) type Secret = secrecy_free::Never;
    #[cfg(not(feature = "secrets"))]
    pub(crate) mod secrecy_free {
        /// No secret can be loaded without the `secrets` feature.
        pub(crate) enum Never {}
    }
}

/// Every named section's layer, built once (so a bad section is refused
/// even when no route uses it yet) and shared by the routes that name it.
#[derive(Default)]
struct Named {
    #[cfg(feature = "phone")]
    phones: HashMap<String, rimguard_phone::PhoneLayer>,
    #[cfg(feature = "ipfilter")]
    ip_lists: rimguard_ipfilter::IpListRegistry,
    #[cfg(feature = "ratelimit")]
    limits: Vec<(String, rimguard_ratelimit::RateLimitLayer)>,
    #[cfg(feature = "secrets")]
    api_keys: HashMap<String, rimguard_secrets::ApiKeyLayer>,
    #[cfg(feature = "secrets")]
    webhooks: HashMap<String, rimguard_secrets::WebhookSignatureLayer>,
}

impl Named {
    #[allow(unused_variables, unused_mut)]
    fn build(config: &Config, context: &BuildContext) -> Result<Self, ConfigError> {
        let mut named = Self::default();
        #[cfg(feature = "ipfilter")]
        {
            named.ip_lists = rimguard_ipfilter::IpListRegistry::from_config(
                &config.ip_lists,
                config.base_dir(),
            )?;
        }
        #[cfg(feature = "phone")]
        for (name, section) in &config.phone {
            let layer = section
                .clone()
                .into_layer()
                .map_err(|e| phone_field(&e, name))?;
            named.phones.insert(name.clone(), layer);
        }
        #[cfg(feature = "ratelimit")]
        for (name, section) in &config.rate_limits {
            named.limits.push((name.clone(), section.to_layer(name)?));
        }
        #[cfg(feature = "secrets")]
        for (name, section) in &config.api_keys {
            named
                .api_keys
                .insert(name.clone(), section.build(name, &context.resolver)?);
        }
        #[cfg(feature = "secrets")]
        for (name, section) in &config.webhooks {
            named
                .webhooks
                .insert(name.clone(), section.build(name, &context.resolver)?);
        }
        Ok(named)
    }
}

pub(crate) fn build(config: &Config, context: &BuildContext) -> Result<Stack, ConfigError> {
    // Every secret loaded on the way (API keys, webhook app secrets and
    // verify tokens, `[secrets.<name>]`) is collected for the redactor.
    #[cfg(feature = "secrets")]
    let (context, loaded) = &observed(context);
    #[cfg(not(feature = "secrets"))]
    let loaded = &();

    let named = Named::build(config, context)?;
    let mut builder = Stack::builder();
    builder = outer_layers(config, context, builder, loaded)?;

    for (i, route) in config.routes.iter().enumerate() {
        let built = build_route(&named, route).map_err(|e| e.within(&format!("routes[{i}]")))?;
        builder = builder.route(built);
    }
    #[cfg(feature = "ratelimit")]
    {
        builder = builder.limiters(named.limits);
    }
    #[cfg(feature = "ipfilter")]
    {
        let watchers = named.ip_lists.watch()?;
        builder = builder.ip_lists(named.ip_lists, watchers);
    }
    Ok(builder.build())
}

/// `rimguard-phone` names its fields from a single `[phone]` table; here
/// each rule is `[phone.<name>]`.
#[cfg(feature = "phone")]
fn phone_field(error: &ConfigError, name: &str) -> ConfigError {
    let field = error.field();
    let inner = field
        .strip_prefix("phone.")
        .or_else(|| field.strip_prefix("phone"))
        .unwrap_or(field);
    ConfigError::new(inner, error.message()).within(&format!("phone.{name}"))
}

/// Every `[secrets.<name>]`, loaded so that a missing one is refused at
/// start-up and the redactor knows their values.
#[cfg(feature = "secrets")]
type Secrets =
    std::collections::BTreeMap<String, std::sync::Arc<rimguard_secrets::secret::SecretString>>;

#[cfg(feature = "secrets")]
fn load_secrets(config: &Config, context: &BuildContext) -> Result<Secrets, ConfigError> {
    let mut secrets = Secrets::new();
    for (name, section) in &config.secrets {
        let within = format!("secrets.{name}");
        let secret = section
            .load(name, &context.resolver)
            .map_err(|e| e.within(&within))?;
        secrets.insert(name.clone(), std::sync::Arc::new(secret));
    }
    Ok(secrets)
}

#[cfg(feature = "redact")]
#[allow(unused_variables, unused_mut)]
fn redactor(
    config: &Config,
    context: &BuildContext,
    secrets: &[&rimguard_secrets_or_unit::Secret],
) -> Result<rimguard_redact::Redactor, ConfigError> {
    let section = config.redact.clone().unwrap_or_default();
    let mut builder = section.builder()?;
    #[cfg(feature = "secrets")]
    for secret in secrets {
        builder = builder.secret(*secret);
    }
    if let Some(source) = section.fingerprint_key_source() {
        #[cfg(not(feature = "secrets"))]
        return Err(lacks("redact.fingerprint_key", "secrets"));
        #[cfg(feature = "secrets")]
        {
            use rimguard_secrets::secret::ExposeSecret;
            let field = "redact.fingerprint_key";
            let source: rimguard_secrets::SecretSource = source
                .parse()
                .map_err(|_| ConfigError::new(field, "is not a source name"))?;
            let key = context
                .resolver
                .load(field, std::slice::from_ref(&source))
                .map_err(|e| ConfigError::new(field, e.to_string()))?;
            builder = builder.fingerprint_key_bytes(key.secret().expose_secret().as_bytes());
        }
    }
    builder.build().map_err(|e| e.within("redact"))
}

/// The secrets a build has loaded so far.
#[cfg(feature = "secrets")]
type Loaded = std::sync::Arc<std::sync::Mutex<Vec<rimguard_secrets::secret::SecretString>>>;
#[cfg(not(feature = "secrets"))]
type Loaded = ();

/// `context`, with a resolver that also keeps each secret it loads.
#[cfg(feature = "secrets")]
fn observed(context: &BuildContext) -> (BuildContext, Loaded) {
    let loaded = Loaded::default();
    let keep = loaded.clone();
    let resolver = context.resolver.clone().on_load(move |secret| {
        keep.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(secret.clone());
    });
    (context.clone().resolver(resolver), loaded)
}

#[allow(unused_variables)]
fn outer_layers(
    config: &Config,
    context: &BuildContext,
    mut builder: StackBuilder,
    loaded: &Loaded,
) -> Result<StackBuilder, ConfigError> {
    let client_ip = config.client_ip.clone().unwrap_or_default();
    builder = builder.client_ip(client_ip.build().map_err(|e| e.within("client_ip"))?);

    #[cfg(feature = "secrets")]
    let secrets = load_secrets(config, context)?;
    #[cfg(feature = "redact")]
    {
        #[cfg(feature = "secrets")]
        let loaded = loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        #[cfg(feature = "secrets")]
        let values: Vec<&rimguard_secrets_or_unit::Secret> = loaded.iter().collect();
        #[cfg(not(feature = "secrets"))]
        let values: Vec<&rimguard_secrets_or_unit::Secret> = Vec::new();
        let redactor = redactor(config, context, &values)?;
        let marker = rimguard_redact::http::SensitiveHeadersLayer::new(&redactor);
        builder = builder.sensitive_headers(marker).redactor(redactor);
    }
    #[cfg(feature = "secrets")]
    {
        builder = builder.secrets(secrets);
    }
    #[cfg(feature = "audit")]
    if let Some(audit) = &config.audit {
        let pipeline = audit.build().map_err(|e| e.within("audit"))?;
        builder = builder.audit_pipeline(pipeline);
    }

    #[cfg(feature = "headers")]
    {
        let https = config.https.clone().unwrap_or_default();
        builder = builder.https_only(https.to_layer().map_err(|e| e.within("https"))?);
        let headers = config.headers.clone().unwrap_or_default();
        builder = builder.security_headers(headers.to_layer().map_err(|e| e.within("headers"))?);
    }
    #[cfg(feature = "cors")]
    if let Some(cors) = &config.cors {
        builder = builder.cors(cors.to_layer().map_err(|e| e.within("cors"))?);
    }
    Ok(builder)
}

#[cfg_attr(
    not(any(
        feature = "secrets",
        feature = "ratelimit",
        feature = "ipfilter",
        feature = "phone"
    )),
    allow(dead_code)
)]
fn missing(field: &str, section: &str, name: &str) -> ConfigError {
    ConfigError::new(
        field,
        format!("names `{name}`, but there is no [{section}.{name}] section"),
    )
}

#[cfg_attr(
    all(
        feature = "secrets",
        feature = "ratelimit",
        feature = "ipfilter",
        feature = "phone"
    ),
    allow(dead_code)
)]
fn lacks(field: &str, feature: &str) -> ConfigError {
    ConfigError::new(
        field,
        format!("this build of rimguard lacks the `{feature}` feature"),
    )
}

#[allow(unused_variables, unused_mut)]
fn build_route(named: &Named, route: &RouteConfig) -> Result<Route, ConfigError> {
    let mut built = Route::with_pattern(&route.name, route.path.clone());
    built = built.methods(route.parsed_methods()?);

    if let Some(name) = &route.api_key {
        #[cfg(not(feature = "secrets"))]
        return Err(lacks("api_key", "secrets"));
        #[cfg(feature = "secrets")]
        {
            let layer = named
                .api_keys
                .get(name)
                .ok_or_else(|| missing("api_key", "api_keys", name))?;
            built = built.api_key(layer.clone());
        }
    }
    if let Some(name) = &route.webhook {
        #[cfg(not(feature = "secrets"))]
        return Err(lacks("webhook", "secrets"));
        #[cfg(feature = "secrets")]
        {
            let layer = named
                .webhooks
                .get(name)
                .ok_or_else(|| missing("webhook", "webhooks", name))?;
            built = built.webhook(layer.clone());
        }
    }

    if let Some(name) = &route.ip_list {
        #[cfg(not(feature = "ipfilter"))]
        return Err(lacks("ip_list", "ipfilter"));
        #[cfg(feature = "ipfilter")]
        {
            let layer = named
                .ip_lists
                .layer(name)
                .map_err(|_| missing("ip_list", "ip_lists", name))?;
            built = built.ip_filter(layer);
        }
    }
    #[cfg(not(feature = "ratelimit"))]
    if !route.rate_limits.is_empty() || !route.customer_rate_limits.is_empty() {
        let field = if route.rate_limits.is_empty() {
            "customer_rate_limits"
        } else {
            "rate_limits"
        };
        return Err(lacks(field, "ratelimit"));
    }
    #[cfg(feature = "ratelimit")]
    {
        let find = |field: String, name: &String| {
            let found = named.limits.iter().find(|(n, _)| n == name);
            found
                .map(|(_, layer)| layer.clone())
                .ok_or_else(|| missing(&field, "rate_limits", name))
        };
        for (i, name) in route.rate_limits.iter().enumerate() {
            built = built.rate_limit(find(format!("rate_limits[{i}]"), name)?);
        }
        for (i, name) in route.customer_rate_limits.iter().enumerate() {
            built = built.customer_rate_limit(find(format!("customer_rate_limits[{i}]"), name)?);
        }
    }
    if let Some(name) = &route.phone {
        #[cfg(not(feature = "phone"))]
        return Err(lacks("phone", "phone"));
        #[cfg(feature = "phone")]
        {
            let layer = named
                .phones
                .get(name)
                .ok_or_else(|| missing("phone", "phone", name))?;
            built = built.phone(layer.clone());
        }
    }
    Ok(built)
}
