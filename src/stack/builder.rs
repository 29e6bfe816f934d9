use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body::Body as HttpBody;
use rimguard_core::ConfigError;
use tower_layer::Layer;
use tower_service::Service;

use super::service::{Dispatch, Matcher, RouteName, StackService};
use super::step::{self, Sharing, Step};
use crate::body::{Body, BoxError};
use crate::config::{Config, PathPattern};
use crate::from_config::BuildContext;

/// The whole rimguard stack as one Tower layer.
///
/// See the [module docs](super) for the order of the layers and an example.
#[derive(Debug, Clone)]
pub struct Stack {
    inner: Arc<Parts>,
}

#[derive(Default)]
pub(crate) struct Parts {
    outer: Vec<Step>,
    routes: Vec<Route>,
    #[cfg(feature = "audit")]
    audit: Option<Arc<rimguard_audit::AuditPipeline>>,
    #[cfg(feature = "ratelimit")]
    limiters: Vec<(String, rimguard_ratelimit::RateLimitLayer)>,
    #[cfg(feature = "ipfilter")]
    ip_lists: Option<rimguard_ipfilter::IpListRegistry>,
    #[cfg(feature = "ipfilter")]
    watchers: Vec<rimguard_ipfilter::ListWatcher>,
    #[cfg(feature = "redact")]
    redactor: Option<rimguard_redact::Redactor>,
    #[cfg(feature = "secrets")]
    secrets: std::collections::BTreeMap<String, Arc<rimguard_secrets::secret::SecretString>>,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field(
                "outer",
                &self.outer.iter().map(Step::name).collect::<Vec<_>>(),
            )
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl Stack {
    /// Starts an empty stack.
    pub fn builder() -> StackBuilder {
        StackBuilder::default()
    }

    /// The stack that `config` describes, every layer built and checked.
    ///
    /// # Errors
    ///
    /// The first [`ConfigError`] of any section, with its file, line and
    /// column: a layer that refuses its settings, a route that names a
    /// list, limit, key set or webhook that the file does not define.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        Self::from_config_with(config, &BuildContext::default())
    }

    /// As [`from_config`](Self::from_config), with secrets read through
    /// `context`.
    ///
    /// # Errors
    ///
    /// As [`from_config`](Self::from_config).
    pub fn from_config_with(config: &Config, context: &BuildContext) -> Result<Self, ConfigError> {
        crate::from_config::build(config, context).map_err(|e| config.locate(e))
    }

    /// The names of the stack-wide layers, outermost first.
    pub fn layer_names(&self) -> Vec<&'static str> {
        self.inner.outer.iter().map(Step::name).collect()
    }

    /// The routes, in matching order.
    pub fn routes(&self) -> &[Route] {
        &self.inner.routes
    }

    /// The audit pipeline that [`from_config`](Self::from_config) started,
    /// to flush it or read its counters. The stack (and every service it
    /// built) keeps it running; it flushes when the last of them is dropped.
    #[cfg(feature = "audit")]
    pub fn audit(&self) -> Option<&rimguard_audit::AuditPipeline> {
        self.inner.audit.as_deref()
    }

    /// The named rate limiters, for their statistics (key counts, Redis
    /// fallbacks).
    #[cfg(feature = "ratelimit")]
    pub fn rate_limiters(&self) -> &[(String, rimguard_ratelimit::RateLimitLayer)] {
        &self.inner.limiters
    }

    /// The named IP lists, to reload them on demand
    /// ([`IpListRegistry::reload_all`](rimguard_ipfilter::IpListRegistry::reload_all)).
    /// Lists with a file and `watch = true` are also reloaded when the file
    /// changes, for as long as the stack or a service it built lives.
    #[cfg(feature = "ipfilter")]
    pub fn ip_lists(&self) -> Option<&rimguard_ipfilter::IpListRegistry> {
        self.inner.ip_lists.as_ref()
    }

    /// The redactor built from `[redact]`, with every secret the build
    /// loaded registered (API keys, webhook app secrets and verify tokens,
    /// `[secrets.<name>]` values): give it to the log writer
    /// (`rimguard_redact::ScrubbingMakeWriter`).
    #[cfg(feature = "redact")]
    pub fn redactor(&self) -> Option<&rimguard_redact::Redactor> {
        self.inner.redactor.as_ref()
    }

    /// The secret `[secrets.<name>]`, loaded when the stack was built.
    #[cfg(feature = "secrets")]
    pub fn secret(&self, name: &str) -> Option<&rimguard_secrets::secret::SecretString> {
        self.inner.secrets.get(name).map(|s| &**s)
    }
}

impl<S, B> Layer<S> for Stack
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Service = StackService<S::Error>;

    fn layer(&self, service: S) -> Self::Service {
        let bottom = step::share(service, Sharing::PerCall);

        let mut service = bottom.clone();
        if !self.inner.routes.is_empty() {
            let audited = self.inner.outer.iter().any(Step::is_audit);
            let routes = self.inner.routes.iter().map(|route| {
                let chain = route
                    .steps()
                    .rev()
                    .fold(bottom.clone(), |svc, s| s.wrap_auditing(svc, audited));
                (route.matcher(), chain)
            });
            let dispatch = Dispatch::new(routes.collect(), bottom);
            service = step::share(dispatch, Sharing::PerThread);
        }

        let outer = self
            .inner
            .outer
            .iter()
            .rev()
            .fold(service, |svc, s| s.wrap(svc));
        StackService::new(outer)
    }
}

/// Builds a [`Stack`]; each method adds one layer at its fixed place in the
/// order, whatever the order of the calls.
#[derive(Debug, Default)]
pub struct StackBuilder {
    client_ip: Option<Step>,
    sensitive_headers: Option<Step>,
    audit: Option<Step>,
    parts: Parts,
    https_only: Option<Step>,
    headers: Option<Step>,
    cors: Option<Step>,
    routes: Vec<Route>,
}

impl StackBuilder {
    /// The client IP layer, outermost: every later layer reads its answer.
    /// Without it, the layers that need a [`ClientIp`](rimguard_core::ClientIp)
    /// refuse (the allowlist) or cannot key on it (the rate limiter); a
    /// [`Stack::from_config`] always has one (the socket peer by default).
    pub fn client_ip(mut self, layer: rimguard_core::client_ip::ClientIpLayer) -> Self {
        self.client_ip = Some(Step::ClientIp(layer));
        self
    }

    /// Marks sensitive headers before any later layer (or tracing) sees
    /// them.
    #[cfg(feature = "redact")]
    pub fn sensitive_headers(
        mut self,
        layer: rimguard_redact::http::SensitiveHeadersLayer,
    ) -> Self {
        self.sensitive_headers = Some(Step::SensitiveHeaders(layer));
        self
    }

    /// The audit layer, right after the client IP: it records every
    /// request, refused ones included.
    #[cfg(feature = "audit")]
    pub fn audit(mut self, layer: rimguard_audit::AuditLayer) -> Self {
        self.audit = Some(Step::Audit(layer));
        self
    }

    /// The audit layer of a pipeline that the stack keeps running.
    #[cfg(feature = "audit")]
    pub fn audit_pipeline(mut self, pipeline: rimguard_audit::AuditPipeline) -> Self {
        self.audit = Some(Step::Audit(pipeline.layer()));
        self.parts.audit = Some(Arc::new(pipeline));
        self
    }

    #[cfg(feature = "ratelimit")]
    pub(crate) fn limiters(
        mut self,
        limiters: Vec<(String, rimguard_ratelimit::RateLimitLayer)>,
    ) -> Self {
        self.parts.limiters = limiters;
        self
    }

    #[cfg(feature = "ipfilter")]
    pub(crate) fn ip_lists(
        mut self,
        registry: rimguard_ipfilter::IpListRegistry,
        watchers: Vec<rimguard_ipfilter::ListWatcher>,
    ) -> Self {
        self.parts.ip_lists = Some(registry);
        self.parts.watchers = watchers;
        self
    }

    #[cfg(feature = "redact")]
    pub(crate) fn redactor(mut self, redactor: rimguard_redact::Redactor) -> Self {
        self.parts.redactor = Some(redactor);
        self
    }

    #[cfg(feature = "secrets")]
    pub(crate) fn secrets(
        mut self,
        secrets: std::collections::BTreeMap<String, Arc<rimguard_secrets::secret::SecretString>>,
    ) -> Self {
        self.parts.secrets = secrets;
        self
    }

    /// HTTPS-only enforcement and HSTS.
    #[cfg(feature = "headers")]
    pub fn https_only(mut self, layer: crate::https::HttpsOnlyLayer) -> Self {
        self.https_only = Some(Step::HttpsOnly(layer));
        self
    }

    /// Security response headers.
    #[cfg(feature = "headers")]
    pub fn security_headers(mut self, layer: crate::headers::SecurityHeadersLayer) -> Self {
        self.headers = Some(Step::Headers(layer));
        self
    }

    /// CORS, applied after HTTPS only and the headers (so preflight answers
    /// carry the security headers too).
    #[cfg(feature = "cors")]
    pub fn cors(mut self, layer: tower_http::cors::CorsLayer) -> Self {
        self.cors = Some(Step::Cors(Box::new(layer)));
        self
    }

    /// Adds a route; routes are matched in the order they are added.
    pub fn route(mut self, route: Route) -> Self {
        self.routes.push(route);
        self
    }

    /// The stack.
    pub fn build(self) -> Stack {
        let outer = [
            self.client_ip,
            self.sensitive_headers,
            self.audit,
            self.https_only,
            self.headers,
            self.cors,
        ];
        let mut parts = self.parts;
        parts.outer = outer.into_iter().flatten().collect();
        parts.routes = self.routes;
        Stack {
            inner: Arc::new(parts),
        }
    }
}

/// A named path pattern and the layers that apply to the requests it
/// matches, in the stack's order whatever the order of the calls: IP
/// allowlist, per-client rate limits, authentication, phone number,
/// per-customer rate limits.
#[derive(Debug, Clone)]
pub struct Route {
    name: RouteName,
    pattern: PathPattern,
    methods: Vec<Method>,
    allowlist: Option<Step>,
    client_limits: Vec<Step>,
    auth: Option<Step>,
    phone: Option<Step>,
    customer_limits: Vec<Step>,
}

impl Route {
    /// A route named `name` for paths matching `pattern` (see
    /// [`PathPattern`]), any method.
    ///
    /// # Errors
    ///
    /// Refuses a malformed pattern (field `path`).
    pub fn new(name: &str, pattern: &str) -> Result<Self, ConfigError> {
        let pattern = PathPattern::parse(pattern).map_err(|e| e.within("path"))?;
        Ok(Self::with_pattern(name, pattern))
    }

    pub(crate) fn with_pattern(name: &str, pattern: PathPattern) -> Self {
        Self {
            name: RouteName(Arc::from(name)),
            pattern,
            methods: Vec::new(),
            allowlist: None,
            client_limits: Vec::new(),
            auth: None,
            phone: None,
            customer_limits: Vec::new(),
        }
    }

    /// Restricts the route to these methods.
    pub fn methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods = methods.into_iter().collect();
        self
    }

    /// Lets only the callers that `layer`'s list allows reach the route
    /// (applied first, before any rate limit).
    #[cfg(feature = "ipfilter")]
    pub fn ip_filter(mut self, layer: rimguard_ipfilter::IpFilterLayer) -> Self {
        self.allowlist = Some(Step::IpFilter(layer));
        self
    }

    /// Adds a per-client rate limit (by IP, header, …), applied before
    /// authentication; several apply in the order added.
    #[cfg(feature = "ratelimit")]
    pub fn rate_limit(mut self, layer: rimguard_ratelimit::RateLimitLayer) -> Self {
        self.client_limits.push(Step::RateLimit(layer));
        self
    }

    /// Adds a per-customer rate limit (by phone number or API key id),
    /// applied after authentication and phone validation.
    #[cfg(feature = "ratelimit")]
    pub fn customer_rate_limit(mut self, layer: rimguard_ratelimit::RateLimitLayer) -> Self {
        self.customer_limits.push(Step::RateLimit(layer));
        self
    }

    /// Finds, validates and normalizes the caller's phone number (after
    /// authentication, before the per-customer limits that key on it).
    #[cfg(feature = "phone")]
    pub fn phone(mut self, layer: rimguard_phone::PhoneLayer) -> Self {
        self.phone = Some(Step::Phone(layer));
        self
    }

    /// Authenticates callers with an API key (replaces a webhook check).
    #[cfg(feature = "secrets")]
    pub fn api_key(mut self, layer: rimguard_secrets::ApiKeyLayer) -> Self {
        self.auth = Some(Step::ApiKey(layer));
        self
    }

    /// Verifies a webhook signature over the raw body (replaces an API key).
    #[cfg(feature = "secrets")]
    pub fn webhook(mut self, layer: rimguard_secrets::WebhookSignatureLayer) -> Self {
        self.auth = Some(Step::Webhook(layer));
        self
    }

    /// The route's name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The names of the route's layers, outermost first.
    pub fn layer_names(&self) -> Vec<&'static str> {
        self.steps().map(Step::name).collect()
    }

    pub(crate) fn steps(&self) -> impl DoubleEndedIterator<Item = &Step> {
        self.allowlist
            .iter()
            .chain(&self.client_limits)
            .chain(&self.auth)
            .chain(&self.phone)
            .chain(&self.customer_limits)
    }

    fn matcher(&self) -> Matcher {
        let (name, pattern) = (self.name.clone(), self.pattern.clone());
        Matcher {
            name,
            pattern,
            methods: self.methods.clone(),
        }
    }
}
