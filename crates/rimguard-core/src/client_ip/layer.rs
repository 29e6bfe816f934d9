//! [`ClientIpLayer`], which wraps a service in [`ClientIpService`].

use std::sync::Arc;

use tower_layer::Layer;

use super::{ClientIpBuilder, ClientIpResolver, ClientIpService, Strategy};

/// Resolves each request's client address and stores it as a
/// [`ClientIp`](super::ClientIp) in the request extensions.
///
/// Cloning is a reference count: the resolver is shared.
///
/// # Example
///
/// Behind one proxy that appends to `X-Forwarded-For`:
///
/// ```
/// use std::net::SocketAddr;
///
/// use bytes::Bytes;
/// use http::{Request, Response};
/// use http_body_util::{BodyExt, Full};
/// use rimguard_core::client_ip::{ClientIpLayer, FailurePolicy, Strategy};
/// use rimguard_core::ClientIp;
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let layer = ClientIpLayer::builder(Strategy::rightmost_x_forwarded_for())
///     .trusted_proxies(["10.0.0.0/8".parse()?])
///     .on_failure(FailurePolicy::Reject)
///     .build()?;
/// let service = ServiceBuilder::new().layer(layer).service(service_fn(|req: Request<()>| async move {
///     let ip = req.extensions().get::<ClientIp>().expect("the layer stores a ClientIp").addr();
///     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from(ip.to_string()))))
/// }));
///
/// let mut request = Request::new(());
/// request.extensions_mut().insert(SocketAddr::from(([10, 0, 0, 1], 41000)));
/// request.headers_mut().insert("x-forwarded-for", "6.6.6.6, 198.51.100.7".parse()?);
/// let response = service.oneshot(request).await?;
///
/// let body = response.into_body().collect().await?.to_bytes();
/// assert_eq!(body, "198.51.100.7");
/// # Ok(())
/// # }
/// ```
///
/// Clients connecting directly:
///
/// ```
/// use rimguard_core::client_ip::ClientIpLayer;
///
/// let layer = ClientIpLayer::peer_only();
/// # let _ = layer;
/// ```
#[derive(Debug, Clone)]
pub struct ClientIpLayer {
    resolver: Arc<ClientIpResolver>,
}

impl ClientIpLayer {
    /// A layer around a built resolver.
    pub fn new(resolver: ClientIpResolver) -> Self {
        Self {
            resolver: Arc::new(resolver),
        }
    }

    /// A layer that uses the socket peer only.
    pub fn peer_only() -> Self {
        Self::new(ClientIpResolver::peer_only())
    }

    /// Starts building a layer with `strategy`; see [`ClientIpBuilder`].
    pub fn builder(strategy: Strategy) -> ClientIpBuilder {
        ClientIpBuilder::new(strategy)
    }

    /// The resolver the layer runs.
    pub fn resolver(&self) -> &ClientIpResolver {
        &self.resolver
    }
}

impl<S> Layer<S> for ClientIpLayer {
    type Service = ClientIpService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientIpService::new(inner, Arc::clone(&self.resolver))
    }
}
