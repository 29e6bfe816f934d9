//! Under a real loopback load below the quota, not one request is refused.
//!
//! A limiter that reads the clock before it takes a key's state can be
//! preempted in between; another thread then moves the state forward and
//! the first judges its request against a stale time, refusing it although
//! the client is under quota. With a short burst window (16 requests, 4 ms)
//! a few milliseconds of preemption would be enough. The server here runs
//! more worker threads than the machine has cores, to make preemption
//! likely.
//!
//! The load is provably below the quota: four clients, each sending its
//! next request only after the answer to the last and at least 2 ms after
//! its last send, can put at most `8 + τ / 0.5 ms` requests in any span `τ`
//! before the limiter, and the quota (one per 0.25 ms, burst 16) allows
//! `16 + τ / 0.25 ms`.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use http::Request;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use rimguard_ratelimit::{GlobalKey, Quota, RateLimitLayer};
use tokio::net::TcpStream;
use tokio::time::{MissedTickBehavior, interval};

const CLIENTS: usize = 4;
const REQUESTS_PER_CLIENT: usize = 250;

async fn client(address: SocketAddr) -> Vec<u16> {
    let stream = TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);

    let mut pace = interval(Duration::from_millis(2));
    pace.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut statuses = Vec::with_capacity(REQUESTS_PER_CLIENT);
    for _ in 0..REQUESTS_PER_CLIENT {
        pace.tick().await;
        let request = Request::get("/")
            .header("host", "x")
            .body(Empty::<bytes::Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[test]
fn no_refusal_below_the_quota() {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(6)
        .enable_all()
        .build()
        .unwrap();
    let limiter = RateLimitLayer::builder(GlobalKey)
        .quota(Quota::new(NonZeroU32::new(16).unwrap(), Duration::from_millis(4)).unwrap())
        .build()
        .unwrap();
    let stats = limiter.clone();
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(limiter);
    let listener = server
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    server.spawn(async move { axum::serve(listener, app).await });

    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let statuses: Vec<u16> = clients.block_on(async {
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| tokio::spawn(client(address)))
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    });

    assert_eq!(statuses.len(), CLIENTS * REQUESTS_PER_CLIENT);
    let refused = statuses.iter().filter(|&&s| s != 200).count();
    assert_eq!(refused, 0, "{refused} requests refused below the quota");
    assert_eq!(stats.stats().limited, 0);
    assert_eq!(
        stats.stats().allowed,
        (CLIENTS * REQUESTS_PER_CLIENT) as u64
    );
}
