//! What both rate-limit benches share: the client addresses, the request
//! every contender sees, the bare service, and a poll for futures that
//! complete at once.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, Response};
use rimguard_core::ClientIp;

/// The `i`th client address, in 10.0.0.0/8.
pub(crate) fn addr(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i))
}

/// The same request for every contender: both the rimguard and the
/// tower_governor view of the peer.
pub(crate) fn request(i: u32) -> Request<Body> {
    let mut request = Request::new(Body::empty());
    request
        .extensions_mut()
        .insert(ClientIp::from_peer(addr(i)));
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(addr(i), 40_000)));
    request
}

/// The service behind every contender.
pub(crate) async fn bare(_: Request<Body>) -> Result<Response<Body>, Infallible> {
    Ok(Response::new(Body::empty()))
}

/// Polls a future that completes without waiting, as these do.
pub(crate) fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the benched services never wait"),
    }
}
