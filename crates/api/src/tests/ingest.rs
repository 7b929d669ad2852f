//! Ingest end to end: accepted samples become scores and history; malformed bodies are 400;
//! rejected samples are counted by reason in `/rejects` and `/metrics`.

use serde_json::{Value, json};

use super::harness::{BASE_NS, Fixture, STEP_NS, Server, eventually, sample};
use faultline_types::RejectReason;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingested_samples_are_scored_and_queryable() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    server.ingest_rows(1000..1030, |v| v).await;

    let page = eventually("30 scores", || async {
        let page = server.get("/api/v1/assets/pump1/scores").await.json();
        (page["scores"].as_array().unwrap().len() == 30).then_some(page)
    })
    .await;
    assert_eq!(page["asset"], "pump1");
    assert!(page["next_from"].is_null());
    let first = &page["scores"][0];
    assert_eq!(first["ts_ns"], BASE_NS + 1000 * STEP_NS);
    assert_eq!(first["ts"], "2023-11-14T22:30:00Z");
    assert!(first["t2"].as_f64().unwrap().is_finite());
    assert!(first["t2_limit"].as_f64().unwrap() > 0.0);
    assert!(first["spe_limit"].as_f64().unwrap() > 0.0);
    assert_eq!(first["top"].as_array().unwrap().len(), 3);
    let out_of_control =
        page["scores"].as_array().unwrap().iter().filter(|s| s["alarm"] == true).count();
    assert!(out_of_control <= 2, "normal data scored out of control {out_of_control} times");

    // Latest N, newest last.
    let latest = server.get("/api/v1/assets/pump1/scores?limit=5").await.json();
    let scores = latest["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 5);
    assert_eq!(scores[4]["ts_ns"], BASE_NS + 1029 * STEP_NS);

    // A range, in RFC 3339 and in nanoseconds, paged.
    let from = BASE_NS + 1010 * STEP_NS;
    let to = "2023-11-14T22:30:30Z"; // index 1030: exclusive end
    let page = server
        .get(&format!("/api/v1/assets/pump1/scores?from={from}&to={to}&limit=8"))
        .await
        .json();
    let scores = page["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 8);
    assert_eq!(scores[0]["ts_ns"], from);
    let next = page["next_from"].as_i64().unwrap();
    assert_eq!(next, BASE_NS + 1017 * STEP_NS + 1);
    let rest = server
        .get(&format!("/api/v1/assets/pump1/scores?from={next}&to={to}&limit=100"))
        .await
        .json();
    assert_eq!(rest["scores"].as_array().unwrap().len(), 12);
    assert!(rest["next_from"].is_null());

    // History: the raw samples.
    let history = server.get("/api/v1/assets/pump1/history").await.json();
    let samples = history["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 30);
    assert_eq!(samples[0]["values"].as_object().unwrap().len(), 4);
    assert!(samples[0]["quality"].is_null());
    let history = server
        .get(&format!("/api/v1/assets/pump1/history?from={}&limit=5", BASE_NS + 1025 * STEP_NS))
        .await
        .json();
    assert_eq!(history["samples"].as_array().unwrap().len(), 5);
    assert_eq!(history["samples"][0]["ts_ns"], BASE_NS + 1025 * STEP_NS);
    assert_eq!(history["next_from"], BASE_NS + 1029 * STEP_NS + 1);

    // Assets with live state.
    let assets = server.get("/api/v1/assets").await.json();
    let pump = assets.as_array().unwrap().iter().find(|a| a["name"] == "pump1").unwrap();
    assert_eq!(pump["model"], json!({"version": 1, "kind": "pca"}));
    assert_eq!(pump["site"], "test");
    assert_eq!(pump["channels"][0], json!({"name": "a", "unit": "bar", "low": null, "high": null}));
    assert_eq!(pump["last_score"]["ts_ns"], BASE_NS + 1029 * STEP_NS);
    assert!(pump["state"] == "normal" || pump["state"] == "out_of_control", "{pump}");
    let fan = assets.as_array().unwrap().iter().find(|a| a["name"] == "fan2").unwrap();
    assert_eq!(fan["state"], "no_model");

    // Bad queries.
    for (path, status) in [
        ("/api/v1/assets/nope/scores", 404),
        ("/api/v1/assets/nope/history", 404),
        ("/api/v1/assets/pump1/scores?from=yesterday", 400),
        ("/api/v1/assets/pump1/scores?from=5&to=5", 400),
        ("/api/v1/assets/pump1/scores?limit=0", 400),
        ("/api/v1/assets/pump1/scores?limit=10001", 400),
        ("/api/v1/assets/pump1/scores?form=5", 400),
        ("/api/v1/assets/pump1/history?to=2023-11-14T22:30:00", 400),
    ] {
        let reply = server.get(path).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
        assert!(reply.json()["detail"].as_str().is_some_and(|d| !d.is_empty()), "{path}");
    }
    server.stop().await;
}

fn count(rejects: &Value, reason: RejectReason) -> u64 {
    rejects["by_reason"][reason.as_str()].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_counted() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;

    for body in [&b"not json"[..], b"{\"samples\": 5}", b"", b"[1, 2]"] {
        let reply = server.post("/api/v1/ingest", body).await;
        assert_eq!(reply.status, 400, "{}", reply.text());
        let json = reply.json();
        assert_eq!(json["error"], "invalid");
        assert!(json["detail"].as_str().unwrap().starts_with("malformed"), "{json}");
    }

    // One batch: a good sample, a NaN (as Python writes it), an unknown asset, and a sample
    // with a channel pump1 does not have.
    let good = sample("pump1", 1, [10.0, 20.0, 5.0, 0.0]);
    let nan = r#"{"asset": "pump1", "ts": 1700000000000000005, "values": {"a": NaN, "b": 1, "c": 1, "d": 1}}"#;
    let unknown_asset = sample("nope", 2, [1.0; 4]);
    let mut extra = sample("pump1", 3, [10.0, 20.0, 5.0, 0.0]);
    extra["values"]["zzz"] = json!(1.5);
    let body = format!("{{\"samples\": [{good}, {nan}, {unknown_asset}, {extra}]}}");
    let reply = server.post("/api/v1/ingest", body.as_bytes()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = reply.json();
    assert_eq!(report["accepted"], 2, "{report}");
    assert_eq!(report["rejected_total"], 2, "{report}");
    assert_eq!(report["rejected"], json!({"non_finite": 1, "unknown_asset": 1}));

    // The same sample again is a duplicate.
    let again = server.post_json("/api/v1/ingest", json!({"samples": [good]})).await.json();
    assert_eq!(again["rejected"], json!({"duplicate": 1}));

    // The unknown channel is counted when the sample is framed, after the acknowledgement.
    let rejects = eventually("the unknown channel to be counted", || async {
        let rejects = server.get("/api/v1/rejects").await.json();
        (count(&rejects, RejectReason::UnknownChannel) >= 1).then_some(rejects)
    })
    .await;
    assert_eq!(count(&rejects, RejectReason::NonFinite), 1);
    assert_eq!(count(&rejects, RejectReason::UnknownAsset), 1);
    assert_eq!(count(&rejects, RejectReason::Malformed), 4);
    assert_eq!(count(&rejects, RejectReason::Duplicate), 1);
    assert_eq!(rejects["by_reason"].as_object().unwrap().len(), RejectReason::ALL.len());

    let metrics = server.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let text = metrics.text();
    for reason in RejectReason::ALL {
        assert!(
            text.contains(&format!(
                "faultline_samples_rejected_total{{reason=\"{}\"}} ",
                reason.as_str()
            )),
            "{reason:?}"
        );
    }
    for line in [
        "faultline_samples_rejected_total{reason=\"non_finite\"} 1\n",
        "faultline_samples_rejected_total{reason=\"unknown_asset\"} 1\n",
        "faultline_samples_rejected_total{reason=\"unknown_channel\"} 1\n",
        "faultline_samples_rejected_total{reason=\"malformed\"} 4\n",
        "faultline_samples_stored_total 2\n",
        "faultline_asset_open_alarms{asset=\"pump1\"} 0\n",
        "faultline_asset_open_alarms{asset=\"fan2\"} 0\n",
    ] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
    for name in [
        "faultline_samples_received_total ",
        "faultline_frames_scored_total ",
        "faultline_alarms_raised_total 0",
        "faultline_journal_commits_total ",
        "faultline_journal_commit_seconds_total ",
        "faultline_alarm_latency_seconds{quantile=\"0.5\"} ",
        "faultline_alarm_latency_seconds{quantile=\"0.99\"} ",
        "faultline_uptime_seconds ",
    ] {
        assert!(text.contains(name), "{name} missing in\n{text}");
    }

    // A body over the limit is refused before it is read.
    let big = vec![b' '; super::super::routes::BODY_LIMIT + 1];
    let reply = server.post("/api/v1/ingest", &big).await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert_eq!(reply.json()["error"], "too_large");
    server.stop().await;
}
