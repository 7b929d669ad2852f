//! Model registry end to end: list, upload (raw bytes), activate, each audited as `admin`.

use serde_json::json;

use super::harness::{Fixture, Server, model};
use crate::auth::sha256_hex;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_are_uploaded_listed_and_activated() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;

    let models = server.get("/api/v1/models").await.json();
    let models = models.as_array().unwrap();
    assert_eq!(models.len(), 1, "{models:?}");
    assert_eq!(models[0]["asset"], "pump1");
    assert_eq!(models[0]["version"], 1);
    assert_eq!(models[0]["kind"], "pca");
    assert_eq!(models[0]["active"], true);

    let bytes = model(100..500).to_bytes();
    let path = "/api/v1/models?asset=pump1&comment=retrained%20after%20the%20pump%20swap";
    let uploaded = server.post(path, &bytes).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text());
    let uploaded = uploaded.json();
    assert_eq!(uploaded["version"], 2);
    assert_eq!(uploaded["active"], false);
    assert_eq!(uploaded["sha256"], sha256_hex(&bytes));
    assert_eq!(uploaded["size"], bytes.len());
    assert!(uploaded["created_at"].as_str().unwrap().ends_with('Z'));

    for (path, body, status) in [
        ("/api/v1/models?asset=pump1", &bytes[..], 400),
        ("/api/v1/models?asset=pump1&comment=", &bytes[..], 400),
        ("/api/v1/models?comment=x", &bytes[..], 400),
        ("/api/v1/models?asset=nope&comment=x", &bytes[..], 404),
        ("/api/v1/models?asset=pump1&comment=x", &b"not a model"[..], 400),
        ("/api/v1/models?asset=pump1&comment=x", &b""[..], 400),
    ] {
        let reply = server.post(path, body).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
    }
    let listed = server.get("/api/v1/models?asset=pump1").await.json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(server.get("/api/v1/models?asset=fan2").await.json().as_array().unwrap().is_empty());

    let activate = "/api/v1/models/pump1/2/activate";
    assert_eq!(server.post_json(activate, json!({})).await.status, 400);
    let activated =
        server.post_json(activate, json!({"comment": "validated on last week's data"})).await;
    assert_eq!(activated.status, 200, "{}", activated.text());
    assert_eq!(activated.json()["active"], true);
    assert_eq!(activated.json()["version"], 2);
    let listed = server.get("/api/v1/models?asset=pump1").await.json();
    let active: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["version"].clone(), m["active"].clone()))
        .collect();
    assert_eq!(active, vec![(json!(1), json!(false)), (json!(2), json!(true))]);
    let assets = server.get("/api/v1/assets").await.json();
    let pump = assets.as_array().unwrap().iter().find(|a| a["name"] == "pump1").unwrap().clone();
    assert_eq!(pump["model"]["version"], 2);

    for (path, status) in [
        ("/api/v1/models/pump1/9/activate", 404),
        ("/api/v1/models/nope/1/activate", 404),
        ("/api/v1/models/pump1/x/activate", 400),
    ] {
        let reply = server.post_json(path, json!({"comment": "x"})).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
    }

    // Scoring goes on with the new model.
    server.ingest_rows(1000..1010, |v| v).await;

    let events = server.get("/api/v1/events").await.json();
    let by_admin = |action: &str| {
        events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == action && e["actor"] == "admin")
            .unwrap_or_else(|| panic!("no {action} by admin in {events}"))
            .clone()
    };
    let upload = by_admin("model.upload");
    assert_eq!(upload["reason"], "retrained after the pump swap");
    assert_eq!(upload["target"], "pump1");
    let activation = by_admin("model.activate");
    assert_eq!(activation["reason"], "validated on last week's data");
    assert_eq!(activation["old_value"], "1");
    assert_eq!(activation["new_value"], "2");
    server.stop().await;
}
