//! A server stack writing a hash-chained audit file, with a detector that
//! logs alerts, then a check of the file.
//!
//! ```text
//! cargo run -p rimguard-audit --example audit_file
//! ```

use std::convert::Infallible;
use std::num::{NonZeroU32, NonZeroUsize};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use rimguard_audit::{
    Alerts, AuditLayer, Detector, Fanout, FileSink, Identifier, LogAlerts, Rule, verify,
};
use rimguard_core::{ApiKeyId, ClientIp, Layer, Rejection, ResponseBody};
use tower::{ServiceBuilder, ServiceExt, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(true).init();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("rimguard.jsonl");

    let (alerts, alert_guard) = Alerts::builder().sink(LogAlerts::new()).spawn()?;
    let (file, file_guard) = FileSink::builder(&path).alerts(alerts.clone()).build()?;
    let burst = Rule::too_many_requests(
        Identifier::ClientIp,
        NonZeroU32::new(3).unwrap(),
        Duration::from_secs(60),
    )?;
    let (detector, detector_guard) =
        Detector::new([burst]).spawn(alerts, NonZeroUsize::new(1024).unwrap())?;

    let service = ServiceBuilder::new()
        .layer(AuditLayer::new(Fanout::new().with(file).with(detector)))
        .service(service_fn(|req: Request<()>| async move {
            if req.headers().get("authorization").is_none() {
                let refusal = Rejection::new(
                    Layer::ApiKey,
                    StatusCode::UNAUTHORIZED,
                    "missing-key",
                    "Unauthorized",
                );
                return Ok::<_, Infallible>(refusal.into_response::<String>());
            }
            let mut response = Response::new(ResponseBody::inner("order 42".to_owned()));
            // An API key layer copies the key id into the response, for the audit record.
            response
                .extensions_mut()
                .insert(ApiKeyId::new("bot-primary"));
            Ok(response)
        }));

    for i in 0..5 {
        let mut req = Request::get(format!("/orders/42?token=s3cret&page={i}"))
            .header("user-agent", "example/1.0");
        if i % 2 == 0 {
            req = req.header("authorization", "Bearer not-a-real-key");
        }
        let mut req = req.body(())?;
        req.extensions_mut()
            .insert(ClientIp::from_peer("203.0.113.7".parse()?));
        let response = service.clone().oneshot(req).await?;
        println!(
            "{} {}",
            response.status(),
            response.headers()["x-request-id"].to_str()?
        );
    }

    let stats = file_guard.shutdown()?;
    detector_guard.shutdown()?;
    alert_guard.shutdown();
    println!("written {}, lost {}", stats.written, stats.lost());

    print!("{}", std::fs::read_to_string(&path)?);
    let report = verify(&path)?;
    println!(
        "chain intact: {}, {} records",
        report.is_intact(),
        report.records
    );
    Ok(())
}
