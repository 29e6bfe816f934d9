//! What both audit benches share: the request, the trivial handler, and a
//! poll for futures that complete at once.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Empty;
use rimguard_core::ClientIp;

/// The body of every bench request and response.
pub(crate) type Body = Empty<Bytes>;

/// A lookup with a secret query value, a user agent and a client IP.
pub(crate) fn request() -> Request<Body> {
    let mut req = Request::get("/orders/42?token=s3cret&page=2")
        .header("user-agent", "rimguard-bench/1.0")
        .header("accept", "application/json")
        .body(Empty::new())
        .expect("a static request is valid");
    req.extensions_mut()
        .insert(ClientIp::from_peer([203, 0, 113, 7].into()));
    req
}

/// The trivial handler behind every contender.
pub(crate) async fn hello(_req: Request<Body>) -> Result<Response<Body>, Infallible> {
    Ok(Response::new(Empty::new()))
}

/// Polls a future that completes without waiting (every service here does).
pub(crate) fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("bench services answer without waiting"),
    }
}
