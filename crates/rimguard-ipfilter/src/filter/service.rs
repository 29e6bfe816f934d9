//! [`IpFilter`], the service that decides.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use rimguard_core::{ClientIp, ResponseBody};
use tower_service::Service;

use super::ResponseFuture;
use super::layer::{FilterState, IpFilterLayer, Reason};
use crate::TARGET;
use crate::list::Verdict;
use crate::shared::SharedIpList;

/// Refuses requests whose client address its list does not admit.
///
/// Built by [`IpFilterLayer`], or directly around a service; see the
/// [crate docs](crate) for the rules.
///
/// # Example
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response, StatusCode};
/// use rimguard_core::ClientIp;
/// use rimguard_ipfilter::{IpFilter, IpList};
/// use tower::{ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let blocklist = IpList::builder().deny("192.0.2.0/24").build()?;
/// let service = IpFilter::new(
///     service_fn(|_req: Request<()>| async { Ok::<_, Infallible>(Response::new(())) }),
///     blocklist,
/// );
///
/// let mut request = Request::new(());
/// request.extensions_mut().insert(ClientIp::from_peer("192.0.2.9".parse()?));
/// assert_eq!(service.clone().oneshot(request).await?.status(), StatusCode::FORBIDDEN);
///
/// // No client IP: refused, even by a blocklist.
/// assert_eq!(service.oneshot(Request::new(())).await?.status(), StatusCode::FORBIDDEN);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct IpFilter<S> {
    pub(crate) inner: S,
    pub(crate) state: Arc<FilterState>,
}

impl<S> IpFilter<S> {
    /// Wraps `inner` with a filter on `list`, refusing with 403.
    pub fn new(inner: S, list: impl Into<SharedIpList>) -> Self {
        let state = IpFilterLayer::new(list).state;
        Self { inner, state }
    }

    /// A layer that builds this service. Same as [`IpFilterLayer::new`].
    pub fn layer(list: impl Into<SharedIpList>) -> IpFilterLayer {
        IpFilterLayer::new(list)
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for IpFilter<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The allowed path is kept small enough to inline into the caller:
        // the extension read, the guard, the lookup, the inner call.
        // Logging and building a refusal live in cold functions.
        let state = &*self.state;
        let reason = match request.extensions().get::<ClientIp>() {
            None => log_unknown(state),
            Some(client) => {
                let addr = client.addr();
                let list = state.list.load();
                list.note_family(addr);
                match list.check(addr) {
                    Verdict::Allowed => None,
                    Verdict::Denied => log_refusal(state, Reason::Denied),
                    Verdict::NotListed => log_refusal(state, Reason::NotListed),
                }
            }
        };
        match reason {
            Some(reason) if !state.dry_run => ResponseFuture::rejected(respond(state, reason)),
            _ => ResponseFuture::inner(self.inner.call(request)),
        }
    }
}

/// The refusal's response, built away from the allowed path.
#[cold]
#[inline(never)]
fn respond<B>(state: &FilterState, reason: Reason) -> Response<ResponseBody<B>> {
    state.refusal(reason).to_response()
}

/// Logs a request without a client IP, which is refused (or let through
/// in dry run).
#[cold]
#[inline(never)]
fn log_unknown(state: &FilterState) -> Option<Reason> {
    let outcome = if state.dry_run {
        "let through (dry run)"
    } else {
        "refused"
    };
    tracing::warn!(
        target: TARGET,
        list = state.list.name(),
        code = state.unknown.typed.code(),
        dry_run = state.dry_run,
        "request without a client IP in its extensions {outcome} (is the client IP \
         layer outside this one?)"
    );
    Some(Reason::Unknown)
}

/// Logs a refusal by the list (or a would-be refusal in dry run).
#[cold]
#[inline(never)]
fn log_refusal(state: &FilterState, reason: Reason) -> Option<Reason> {
    let refusal = state.refusal(reason);
    let (list, code, status) = (
        state.list.name(),
        refusal.typed.code(),
        refusal.typed.status().as_u16(),
    );
    if state.dry_run {
        tracing::info!(target: TARGET, list, code, status, dry_run = true, "request would be refused (dry run)");
    } else {
        tracing::debug!(target: TARGET, list, code, status, dry_run = false, "request refused");
    }
    Some(reason)
}
