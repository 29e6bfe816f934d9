//! Building the [`Stack`] that a [`Config`] describes.

use rimguard_core::ConfigError;

use crate::config::{Config, RouteConfig};
use crate::stack::{Route, Stack, StackBuilder};

pub(crate) fn build(config: &Config) -> Result<Stack, ConfigError> {
    let mut builder = Stack::builder();
    builder = outer_layers(config, builder)?;

    for (i, route) in config.routes.iter().enumerate() {
        let built = build_route(config, route).map_err(|e| e.within(&format!("routes[{i}]")))?;
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

fn build_route(_config: &Config, route: &RouteConfig) -> Result<Route, ConfigError> {
    let built =
        Route::with_pattern(&route.name, route.path.clone()).methods(route.parsed_methods()?);

    let needs = |present: bool, field: &str, feature: &str, on: bool| {
        if present && !on {
            let message = format!("this build of rimguard lacks the `{feature}` feature");
            return Err(ConfigError::new(field, message));
        }
        Ok(())
    };
    needs(route.ip_list.is_some(), "ip_list", "ipfilter", false)?;
    needs(
        !route.rate_limits.is_empty(),
        "rate_limits",
        "ratelimit",
        false,
    )?;
    needs(
        !route.customer_rate_limits.is_empty(),
        "customer_rate_limits",
        "ratelimit",
        false,
    )?;
    needs(route.api_key.is_some(), "api_key", "secrets", false)?;
    needs(route.webhook.is_some(), "webhook", "secrets", false)?;
    needs(route.phone.is_some(), "phone", "phone", false)?;
    Ok(built)
}
