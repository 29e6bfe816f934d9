//! Building the [`Stack`] that a [`Config`] describes.

#[cfg(feature = "secrets")]
use std::collections::HashMap;

use rimguard_core::ConfigError;

use crate::config::{Config, RouteConfig};
use crate::stack::{Route, Stack, StackBuilder};

/// What building a stack from configuration needs besides the file: where
/// secrets are read from, and so on. [`BuildContext::default`] reads
/// secrets from the OS credential store and the process environment.
#[derive(Debug, Default)]
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

/// Every named section's layer, built once (so a bad section is refused
/// even when no route uses it yet) and shared by the routes that name it.
#[derive(Default)]
struct Named {
    #[cfg(feature = "secrets")]
    api_keys: HashMap<String, rimguard_secrets::ApiKeyLayer>,
    #[cfg(feature = "secrets")]
    webhooks: HashMap<String, rimguard_secrets::WebhookSignatureLayer>,
}

impl Named {
    #[allow(unused_variables, unused_mut)]
    fn build(config: &Config, context: &BuildContext) -> Result<Self, ConfigError> {
        let mut named = Self::default();
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
    let mut builder = Stack::builder();
    builder = outer_layers(config, builder)?;

    let named = Named::build(config, context)?;
    for (i, route) in config.routes.iter().enumerate() {
        let built = build_route(&named, route).map_err(|e| e.within(&format!("routes[{i}]")))?;
        builder = builder.route(built);
    }
    Ok(builder.build())
}

fn outer_layers(config: &Config, mut builder: StackBuilder) -> Result<StackBuilder, ConfigError> {
    let client_ip = config.client_ip.clone().unwrap_or_default();
    builder = builder.client_ip(client_ip.build().map_err(|e| e.within("client_ip"))?);

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

#[cfg_attr(not(feature = "secrets"), allow(dead_code))]
fn missing(field: &str, section: &str, name: &str) -> ConfigError {
    ConfigError::new(
        field,
        format!("names `{name}`, but there is no [{section}.{name}] section"),
    )
}

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

    if route.ip_list.is_some() {
        return Err(lacks("ip_list", "ipfilter"));
    }
    if !route.rate_limits.is_empty() {
        return Err(lacks("rate_limits", "ratelimit"));
    }
    if !route.customer_rate_limits.is_empty() {
        return Err(lacks("customer_rate_limits", "ratelimit"));
    }
    if route.phone.is_some() {
        return Err(lacks("phone", "phone"));
    }
    Ok(built)
}
