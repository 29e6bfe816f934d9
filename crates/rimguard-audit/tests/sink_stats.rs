//! `AuditPipeline::sink_stats`: the counters of every queued sink a built
//! pipeline owns, by name.

use std::convert::Infallible;
use std::path::Path;

use http::{Request, Response};
use rimguard_audit::config::{DETECTOR_SINK, FILE_SINK};
use rimguard_audit::{AuditConfig, AuditPipeline, SinkStats};
use rimguard_core::ClientIp;
use tower::{ServiceBuilder, ServiceExt, service_fn};

const RULES: &str = r#"
[[rules]]
kind = "too-many-requests"
key = "client-ip"
max = 1000
window = "1m"
"#;

fn config(file: Option<&Path>, rules: bool) -> AuditConfig {
    let mut text = String::new();
    if let Some(path) = file {
        text.push_str(&format!("file = {:?}\n", path.display().to_string()));
    }
    if rules {
        text.push_str(RULES);
    }
    toml::from_str(&text).expect("the test's config is valid TOML")
}

async fn send(pipeline: &AuditPipeline, requests: usize) {
    let service = ServiceBuilder::new()
        .layer(pipeline.layer())
        .service(service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(()))
        }));
    for _ in 0..requests {
        let mut req = Request::get("/orders").body(()).unwrap();
        req.extensions_mut()
            .insert(ClientIp::from_peer("203.0.113.7".parse().unwrap()));
        service.clone().oneshot(req).await.unwrap();
    }
}

fn names(stats: &[(&'static str, SinkStats)]) -> Vec<&'static str> {
    stats.iter().map(|(name, _)| *name).collect()
}

fn stats_of(stats: &[(&'static str, SinkStats)], name: &str) -> SinkStats {
    stats
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("no sink named {name} in {stats:?}"))
}

#[tokio::test]
async fn the_file_and_the_detector_both_count_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = config(Some(&dir.path().join("audit.jsonl")), true)
        .build()
        .unwrap();
    assert_eq!(names(&pipeline.sink_stats()), [FILE_SINK, DETECTOR_SINK]);

    send(&pipeline, 12).await;
    pipeline.flush().unwrap();

    let stats = pipeline.sink_stats();
    let file = stats_of(&stats, FILE_SINK);
    assert_eq!(file.accepted, 12);
    assert_eq!(file.written, 12);
    assert_eq!(Some(file), pipeline.file_stats());

    let detector = stats_of(&stats, DETECTOR_SINK);
    assert_eq!(detector.accepted + detector.dropped, 12, "{detector:?}");
    assert_eq!(detector.written, detector.accepted, "{detector:?}");
    assert_eq!(detector.failed, 0);
}

#[tokio::test]
async fn a_detector_without_a_file_is_listed_alone() {
    let pipeline = config(None, true).build().unwrap();
    assert_eq!(names(&pipeline.sink_stats()), [DETECTOR_SINK]);
    assert_eq!(pipeline.file_stats(), None);

    send(&pipeline, 3).await;
    pipeline.flush().unwrap();

    let detector = stats_of(&pipeline.sink_stats(), DETECTOR_SINK);
    assert_eq!(detector.accepted + detector.dropped, 3, "{detector:?}");
    assert_eq!(detector.written, detector.accepted, "{detector:?}");
}

#[tokio::test]
async fn a_file_without_rules_has_no_detector() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = config(Some(&dir.path().join("audit.jsonl")), false)
        .build()
        .unwrap();
    send(&pipeline, 2).await;
    pipeline.flush().unwrap();

    let stats = pipeline.sink_stats();
    assert_eq!(names(&stats), [FILE_SINK]);
    assert_eq!(stats_of(&stats, FILE_SINK).written, 2);
}

#[test]
fn a_pipeline_that_only_traces_lists_no_sink() {
    let pipeline = config(None, false).build().unwrap();
    assert!(pipeline.sink_stats().is_empty());
}
