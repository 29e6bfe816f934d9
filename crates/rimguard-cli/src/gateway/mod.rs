//! `rimguard serve`: the whole stack in front of any HTTP service.
//!
//! The gateway accepts HTTP/1.1 and HTTP/2 (over TLS when `[gateway.tls]`
//! names a certificate and key), answers its health and metrics endpoints
//! itself, and sends everything else through the [`rimguard::Stack`] of the
//! configuration to the upstream [`Proxy`].
//!
//! A client has `header_read_timeout` for its TLS handshake, and again for
//! each request head.
//!
//! Each request carries the socket peer (`SocketAddr` extension, which the
//! client IP layer reads) and, on a TLS connection, the [`TlsConnection`]
//! marker that the HTTPS-only layer counts as HTTPS.

mod metrics;
mod proxy;
mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rimguard::Stack;
use rimguard::audit::AuditPipeline;
use rimguard::body::{self, Body};
use rimguard::config::{Config, GatewayConfig};
use rimguard::https::TlsConnection;
use rimguard::stack::StackService;
use rimguard_core::ConfigError;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tower_layer::Layer;

pub use metrics::Metrics;
pub use proxy::Proxy;

/// A gateway ready to serve: the stack, the proxy and the endpoints.
#[derive(Clone)]
pub struct Gateway {
    front: Front,
    listen: SocketAddr,
    tls: Option<TlsAcceptor>,
    header_read_timeout: std::time::Duration,
    stack: Stack,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("listen", &self.listen)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Front {
    service: StackService<Infallible>,
    metrics: Arc<Metrics>,
    config: Arc<GatewayConfig>,
}

impl std::fmt::Debug for Front {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Front").finish_non_exhaustive()
    }
}

impl Gateway {
    /// Builds everything the configuration describes, without listening.
    ///
    /// # Errors
    ///
    /// A missing `[gateway]` section, any layer's refusal, a bad upstream,
    /// or unreadable TLS files, located in the file where possible.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let gateway = config
            .gateway
            .clone()
            .ok_or_else(|| {
                ConfigError::new("gateway", "`rimguard serve` needs a [gateway] section")
            })
            .map_err(|e| config.locate(e))?;
        let stack = Stack::from_config(config)?;
        Self::new(&gateway, &stack).map_err(|e| config.locate(e))
    }

    /// A gateway of `stack` with these settings.
    ///
    /// # Errors
    ///
    /// A bad upstream URL or unreadable TLS files.
    pub fn new(gateway: &GatewayConfig, stack: &Stack) -> Result<Self, ConfigError> {
        let metrics = Arc::new(Metrics::default());
        let proxy = Proxy::new(
            &gateway.upstream,
            gateway.connect_timeout,
            gateway.request_timeout,
            metrics.clone(),
        )?;
        let tls = gateway.tls.as_ref().map(tls::acceptor).transpose()?;
        metrics.watch_limiters(stack.rate_limiters());
        if let Some(lists) = stack.ip_lists() {
            metrics.watch_ip_lists(lists);
        }
        if stack.audit().is_some() {
            // The stack keeps the pipeline; this clone only reads it.
            let audited = stack.clone();
            metrics.watch_audit_pipeline(move || audited.audit().map(AuditPipeline::sink_stats));
        }

        let front = Front {
            service: stack.layer(proxy),
            metrics,
            config: Arc::new(gateway.clone()),
        };
        Ok(Self {
            front,
            listen: gateway.listen,
            tls,
            header_read_timeout: gateway.header_read_timeout,
            stack: stack.clone(),
        })
    }

    /// The stack the gateway serves through (for its redactor, audit
    /// pipeline and limiters).
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The gateway's counters, for registering more values to expose.
    ///
    /// Besides requests, refusals and upstream failures, they already show
    /// the stack's rate limiters, its IP lists (reloads, refused reloads,
    /// ranges, time of the last reload) and each of its audit pipeline's
    /// sinks, the file and the detector (records accepted, written,
    /// dropped, failed; write errors).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.front.metrics
    }

    /// Binds the configured address.
    ///
    /// # Errors
    ///
    /// The address cannot be bound.
    pub async fn bind(&self) -> std::io::Result<TcpListener> {
        TcpListener::bind(self.listen).await
    }

    /// Serves connections from `listener` until `shutdown` completes, then
    /// waits (up to 10 seconds) for requests in flight.
    ///
    /// # Errors
    ///
    /// Accepting from the listener fails.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);

        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => accepted?,
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let (front, tls, watcher) = (self.front.clone(), self.tls.clone(), graceful.watcher());
            let header_read_timeout = self.header_read_timeout;

            tokio::spawn(async move {
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder
                    .http1()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_read_timeout);
                let result = match tls {
                    Some(acceptor) => {
                        // The handshake has the same bound as the request
                        // head: a silent client does not hold a task forever.
                        let handshake = acceptor.accept(stream);
                        let Ok(Ok(stream)) =
                            tokio::time::timeout(header_read_timeout, handshake).await
                        else {
                            tracing::debug!(
                                target: "rimguard::gateway",
                                "TLS handshake failed or timed out"
                            );
                            return;
                        };
                        let service = front.hyper_service(peer, true);
                        let connection = builder.serve_connection(TokioIo::new(stream), service);
                        watcher.watch(connection.into_owned()).await
                    }
                    None => {
                        let service = front.hyper_service(peer, false);
                        let connection = builder.serve_connection(TokioIo::new(stream), service);
                        watcher.watch(connection.into_owned()).await
                    }
                };
                if let Err(error) = result {
                    tracing::debug!(target: "rimguard::gateway", %error, "connection ended with an error");
                }
            });
        }

        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), graceful.shutdown()).await;
        Ok(())
    }
}

impl Front {
    fn hyper_service(
        self,
        peer: SocketAddr,
        tls: bool,
    ) -> impl hyper::service::Service<
        Request<Incoming>,
        Response = Response<Body>,
        Error = Infallible,
        Future = impl Future<Output = Result<Response<Body>, Infallible>> + Send + 'static,
    > + Clone {
        hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(peer);
            if tls {
                req.extensions_mut().insert(TlsConnection);
            }
            self.clone().handle(req)
        })
    }

    async fn handle(self, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        let path = req.uri().path();
        if path == self.config.metrics.health_path {
            return Ok(text(StatusCode::OK, "ok\n".into()));
        }
        if path == self.config.metrics.metrics_path {
            let peer = req.extensions().get::<SocketAddr>().map(SocketAddr::ip);
            let allowed =
                peer.is_some_and(|ip| self.config.metrics.allow.iter().any(|n| n.contains(&ip)));
            if !allowed {
                return Ok(text(StatusCode::NOT_FOUND, "not found\n".into()));
            }
            return Ok(text(StatusCode::OK, self.metrics.render()));
        }

        let response = self.service.oneshot(req).await?;
        self.metrics.record(&response);
        Ok(response)
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(body::boxed(Full::new(Bytes::from(body))));
    *response.status_mut() = status;
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}
