//! What the client IP layer logs: decisions with their code, never values.
//!
//! A test binary of its own, so no other test's threads touch the tracing
//! callsites while the scoped subscriber is installed.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderValue};
use rimguard_core::client_ip::{ClientIpBuilder, ClientIpResolver, FailurePolicy, Strategy};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn xff() -> ClientIpResolver {
    ClientIpBuilder::new(Strategy::rightmost_x_forwarded_for())
        .trusted_proxies(["10.0.0.0/8".parse().unwrap()])
        .on_failure(FailurePolicy::Reject)
        .build_resolver()
        .unwrap()
}

fn resolve_xff(chain: &str) {
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", HeaderValue::from_str(chain).unwrap());
    let peer: IpAddr = "10.0.0.1".parse().unwrap();
    let _ = xff().resolve(Some(peer), &headers);
}

#[test]
fn failures_log_their_code_but_never_header_values() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        resolve_xff("198.51.100.77, probe-value-1");
        resolve_xff("10.0.0.77");
    });

    let logged = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("rimguard::client_ip") && logged.contains("client-ip-malformed"),
        "{logged}"
    );
    assert!(logged.contains("client-ip-all-trusted"), "{logged}");
    for value in ["probe-value-1", "198.51.100.77", "10.0.0.77"] {
        assert!(!logged.contains(value), "{logged}");
    }
}
