//! The gateway in front of a real upstream on 127.0.0.1, driven over HTTP
//! and HTTPS.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rimguard::Config;
use rimguard_cli::gateway::Gateway;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// An upstream that answers with the request headers it received, as JSON,
/// and a `Server` banner that the gateway must remove.
async fn upstream() -> SocketAddr {
    async fn echo(headers: HeaderMap) -> ([(&'static str, &'static str); 1], String) {
        let seen: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").into()))
            .collect();
        (
            [("server", "upstream/1.0")],
            serde_json::Value::Object(seen).to_string(),
        )
    }
    let app = Router::new().route("/{*path}", get(echo));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The configuration `extra` with a `[gateway]` section in front of
/// `upstream`; `gateway_keys` are more keys of that section.
fn config(extra: &str, gateway_keys: &str, upstream: SocketAddr) -> Config {
    let text = format!(
        "{extra}\n[gateway]\nlisten = \"127.0.0.1:0\"\nupstream = \"http://{upstream}\"\nrequest_timeout = \"5s\"\n{gateway_keys}\n"
    );
    Config::loader()
        .text("gateway.toml", text)
        .env_vars([])
        .load()
        .unwrap()
}

/// Serves `gateway` on a free port of 127.0.0.1.
async fn serve(gateway: Gateway) -> SocketAddr {
    let listener = gateway.bind().await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(gateway.serve(listener, std::future::pending()));
    addr
}

async fn gateway(extra: &str, upstream: SocketAddr) -> SocketAddr {
    serve(Gateway::from_config(&config(extra, "", upstream)).unwrap()).await
}

async fn get_text(url: String, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::get(url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let response = client
        .request(req.body(Full::default()).unwrap())
        .await
        .unwrap();
    read(response).await
}

async fn read(response: Response<Incoming>) -> (StatusCode, HeaderMap, String) {
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// A literal TOML string of `path` (no escapes are read inside `'…'`).
fn toml_path(path: &Path) -> String {
    let path = path.to_str().unwrap();
    assert!(!path.contains('\''), "a temporary path has no quote");
    format!("'{path}'")
}

/// A self-signed certificate for `localhost` and 127.0.0.1, generated for
/// this test run, with its PEM files in a temporary directory.
struct SelfSigned {
    dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    der: CertificateDer<'static>,
}

impl SelfSigned {
    fn generate() -> Self {
        let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(names).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
        Self {
            dir,
            cert: cert_path,
            key: key_path,
            der: cert.der().clone(),
        }
    }

    /// The `tls` key of `[gateway]` naming `cert` and `key`.
    fn tls_key(cert: &Path, key: &Path) -> String {
        format!(
            "tls = {{ cert = {}, key = {} }}",
            toml_path(cert),
            toml_path(key)
        )
    }

    fn gateway_keys(&self) -> String {
        Self::tls_key(&self.cert, &self.key)
    }
}

/// A TLS connection to `addr` that trusts only `trusted` and offers only
/// the ALPN protocol `alpn`.
async fn connect_tls(
    addr: SocketAddr,
    trusted: &CertificateDer<'static>,
    alpn: &[u8],
) -> TlsStream<TcpStream> {
    let mut roots = RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let stream = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    assert_eq!(
        stream.get_ref().1.alpn_protocol(),
        Some(alpn),
        "the gateway agreed to the protocol offered"
    );
    stream
}

/// `GET path` over HTTP/1.1 on a TLS connection to the gateway.
async fn get_https_1(
    addr: SocketAddr,
    trusted: &CertificateDer<'static>,
    path: &str,
) -> Response<Incoming> {
    let stream = connect_tls(addr, trusted, b"http/1.1").await;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let req = Request::get(path)
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    sender.send_request(req).await.unwrap()
}

/// `GET path` over HTTP/2 on a TLS connection to the gateway.
async fn get_https_2(
    addr: SocketAddr,
    trusted: &CertificateDer<'static>,
    path: &str,
) -> Response<Incoming> {
    let stream = connect_tls(addr, trusted, b"h2").await;
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let uri = format!("https://localhost:{}{path}", addr.port());
    let req = Request::get(uri).body(Empty::<Bytes>::new()).unwrap();
    sender.send_request(req).await.unwrap()
}

#[tokio::test]
async fn a_request_reaches_the_upstream_with_this_hop_appended_and_hop_headers_removed() {
    let gateway = gateway("[https]\nmode = \"off\"", upstream().await).await;
    let headers = [
        ("x-forwarded-for", "198.51.100.7"),
        ("connection", "keep-alive, x-drop-me"),
        ("x-drop-me", "1"),
    ];
    let (status, response_headers, body) =
        get_text(format!("http://{gateway}/orders/1"), &headers).await;

    assert_eq!(status, StatusCode::OK);
    let seen: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["x-forwarded-for"], "198.51.100.7, 127.0.0.1", "{seen}");
    assert_eq!(seen["forwarded"], "for=127.0.0.1;proto=http");
    assert_eq!(seen["x-forwarded-proto"], "http");
    assert!(seen.get("x-drop-me").is_none());

    assert!(!response_headers.contains_key("server"));
    assert_eq!(response_headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn plain_http_is_refused_by_default() {
    let gateway = gateway("", upstream().await).await;
    let (status, headers, body) = get_text(format!("http://{gateway}/orders/1"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(body.contains("https-required"));
}

#[tokio::test]
async fn health_and_metrics_are_answered_by_the_gateway() {
    let gateway = gateway("", upstream().await).await;
    let (status, _, body) = get_text(format!("http://{gateway}/healthz"), &[]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));

    get_text(format!("http://{gateway}/refused"), &[]).await;
    let (status, _, metrics) = get_text(format!("http://{gateway}/metrics"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.contains("rimguard_requests_total 1\n"), "{metrics}");
    assert!(
        metrics.contains("rimguard_refusals_total{layer=\"https-only\",code=\"https-required\"} 1")
    );
}

#[tokio::test]
async fn metrics_show_each_rate_limiter() {
    let limits = "[https]\nmode = \"off\"\n[rate_limits.per_ip]\nkey = \"client-ip\"\npolicies = [{ name = \"b\", quota = 1, window = \"1m\" }]\n[[routes]]\nname = \"all\"\npath = \"/*\"\nrate_limits = [\"per_ip\"]";
    let gateway = gateway(limits, upstream().await).await;
    let (first, _, _) = get_text(format!("http://{gateway}/orders/1"), &[]).await;
    let (second, _, _) = get_text(format!("http://{gateway}/orders/1"), &[]).await;
    assert_eq!(
        (first, second),
        (StatusCode::OK, StatusCode::TOO_MANY_REQUESTS)
    );

    let (_, _, metrics) = get_text(format!("http://{gateway}/metrics"), &[]).await;
    assert!(
        metrics.contains("rimguard_ratelimit_keys{limiter=\"per_ip\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("rimguard_ratelimit_limited_total{limiter=\"per_ip\"} 1"));
    assert!(metrics.contains("rimguard_ratelimit_backend_fallbacks_total{limiter=\"per_ip\"} 0"));
    assert!(
        metrics.contains("rimguard_refusals_total{layer=\"rate-limit\",code=\"rate-limited\"} 1")
    );
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_problem() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let gateway = gateway("[https]\nmode = \"off\"", closed).await;
    let (status, _, body) = get_text(format!("http://{gateway}/x"), &[]).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body.contains("upstream-unavailable"));
}

#[tokio::test]
async fn https_over_http_1_reaches_the_upstream_as_https_and_answers_with_hsts() {
    let cert = SelfSigned::generate();
    let config = config("", &cert.gateway_keys(), upstream().await);
    let gateway = serve(Gateway::from_config(&config).unwrap()).await;

    let response = get_https_1(gateway, &cert.der, "/orders/1").await;
    assert_eq!(response.version(), Version::HTTP_11);
    let (status, headers, body) = read(response).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let seen: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["x-forwarded-proto"], "https", "{seen}");
    assert_eq!(seen["forwarded"], "for=127.0.0.1;proto=https");
    let hsts = headers["strict-transport-security"].to_str().unwrap();
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");
    assert!(!headers.contains_key("server"));
}

#[tokio::test]
async fn https_over_http_2_reaches_the_upstream_as_https_and_answers_with_hsts() {
    let cert = SelfSigned::generate();
    let config = config("", &cert.gateway_keys(), upstream().await);
    let gateway = serve(Gateway::from_config(&config).unwrap()).await;

    let response = get_https_2(gateway, &cert.der, "/orders/2").await;
    assert_eq!(response.version(), Version::HTTP_2);
    let (status, headers, body) = read(response).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let seen: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["x-forwarded-proto"], "https", "{seen}");
    assert!(headers.contains_key("strict-transport-security"));
}

#[tokio::test]
async fn plain_http_to_the_tls_port_gets_no_answer() {
    let cert = SelfSigned::generate();
    let config = config("", &cert.gateway_keys(), upstream().await);
    let gateway = serve(Gateway::from_config(&config).unwrap()).await;

    let tcp = TcpStream::connect(gateway).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(connection);
    let req = Request::get("/orders/1")
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(10), sender.send_request(req))
        .await
        .expect("the gateway ends a connection that does not speak TLS");
    assert!(outcome.is_err(), "a plain request got {outcome:?}");
}

#[tokio::test]
async fn a_client_that_never_starts_the_tls_handshake_is_let_go() {
    let cert = SelfSigned::generate();
    let keys = format!("{}\nheader_read_timeout = \"1s\"", cert.gateway_keys());
    let config = config("", &keys, upstream().await);
    let gateway = serve(Gateway::from_config(&config).unwrap()).await;

    let mut idle = TcpStream::connect(gateway).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::io::AsyncReadExt::read(&mut idle, &mut buf),
    )
    .await
    .expect("the gateway closes a connection that stays silent");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

#[tokio::test]
async fn missing_or_bad_pem_files_are_refused_at_start_up_naming_the_field() {
    let cert = SelfSigned::generate();
    let upstream = upstream().await;
    let refusal = |cert: &Path, key: &Path| {
        let config = config("", &SelfSigned::tls_key(cert, key), upstream);
        Gateway::from_config(&config).unwrap_err()
    };
    let dir = cert.dir.path();

    let missing = dir.join("missing.pem");
    let error = refusal(&missing, &cert.key);
    assert_eq!(error.field(), "gateway.tls.cert");
    assert!(error.to_string().contains("cannot read"), "{error}");
    assert!(error.to_string().contains("missing.pem"), "{error}");

    let not_a_cert = dir.join("not-a-cert.pem");
    std::fs::write(&not_a_cert, "hello\n").unwrap();
    let error = refusal(&not_a_cert, &cert.key);
    assert_eq!(error.field(), "gateway.tls.cert");
    assert!(
        error.to_string().contains("holds no certificate"),
        "{error}"
    );

    let bad_key = dir.join("bad-key.pem");
    std::fs::write(
        &bad_key,
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let error = refusal(&cert.cert, &bad_key);
    assert_eq!(error.field(), "gateway.tls.key");
    assert!(!error.to_string().contains("c2VjcmV0"), "{error}");

    let other = SelfSigned::generate();
    let error = refusal(&cert.cert, &other.key);
    assert_eq!(error.field(), "gateway.tls.key");
    assert!(
        error.to_string().contains("does not fit the certificate"),
        "{error}"
    );
}

#[tokio::test]
async fn metrics_show_the_ip_lists_and_the_audit_sinks() {
    let dir = tempfile::tempdir().unwrap();
    let (audit, office) = (
        dir.path().join("audit.jsonl"),
        dir.path().join("office.txt"),
    );
    std::fs::write(&office, "10.0.0.0/8\n").unwrap();
    let extra = format!(
        "[https]\nmode = \"off\"\n[audit]\nfile = {}\n[[audit.rules]]\nkind = \"too-many-requests\"\nkey = \"client-ip\"\nmax = 1000\nwindow = \"1m\"\n[ip_lists.office]\nallow = [\"127.0.0.0/8\"]\nfile = {}\nwatch = false\n[[routes]]\nname = \"admin\"\npath = \"/admin/*\"\nip_list = \"office\"",
        toml_path(&audit),
        toml_path(&office),
    );
    let gateway = Gateway::from_config(&config(&extra, "", upstream().await)).unwrap();
    let addr = serve(gateway.clone()).await;

    for path in ["/admin/1", "/orders/1", "/orders/2"] {
        let (status, _, _) = get_text(format!("http://{addr}{path}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    gateway.stack().audit().unwrap().flush().unwrap();

    let lists = gateway.stack().ip_lists().unwrap();
    std::fs::write(&office, "not a range\n").unwrap();
    assert!(lists.reload_all().is_err());
    std::fs::write(&office, "10.0.0.0/8\n192.0.2.0/24\n").unwrap();
    let before = SystemTime::now();
    lists.reload_all().unwrap();
    let reloaded = lists.list("office").unwrap().last_reload().unwrap();
    assert!(reloaded <= SystemTime::now());
    let reloaded = reloaded.duration_since(UNIX_EPOCH).unwrap();

    let (_, _, metrics) = get_text(format!("http://{addr}/metrics"), &[]).await;
    for line in [
        "# TYPE rimguard_audit_records_written_total counter",
        "rimguard_audit_records_accepted_total{sink=\"file\"} 3",
        "rimguard_audit_records_written_total{sink=\"file\"} 3",
        "rimguard_audit_records_dropped_total{sink=\"file\"} 0",
        "rimguard_audit_records_failed_total{sink=\"file\"} 0",
        "rimguard_audit_write_errors_total{sink=\"file\"} 0",
        "rimguard_audit_records_accepted_total{sink=\"detector\"} 3",
        "rimguard_audit_records_written_total{sink=\"detector\"} 3",
        "rimguard_audit_records_dropped_total{sink=\"detector\"} 0",
        "rimguard_audit_records_failed_total{sink=\"detector\"} 0",
        "rimguard_audit_write_errors_total{sink=\"detector\"} 0",
        "# TYPE rimguard_ip_list_reloads_total counter",
        "rimguard_ip_list_reloads_total{list=\"office\"} 1",
        "rimguard_ip_list_reload_failures_total{list=\"office\"} 1",
        "# TYPE rimguard_ip_list_ranges gauge",
        "rimguard_ip_list_ranges{list=\"office\"} 3",
        "# TYPE rimguard_ip_list_last_reload_timestamp_seconds gauge",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no `{line}` in\n{metrics}"
        );
    }
    let seconds: f64 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("rimguard_ip_list_last_reload_timestamp_seconds{list=\"office\"} ")
        })
        .unwrap_or_else(|| panic!("no reload time in\n{metrics}"))
        .parse()
        .unwrap();
    let since = |time: SystemTime| time.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(
        (seconds - reloaded.as_secs_f64()).abs() < 0.001,
        "{seconds} vs {reloaded:?}"
    );
    assert!(
        seconds >= since(before).floor(),
        "{seconds} is before the reload"
    );
}
