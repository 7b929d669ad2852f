//! Model registry end to end: list, upload (raw bytes), signed activation, each audited with
//! its actor, the activation with its electronic signature.

use serde_json::json;

use super::harness::{BASE_NS, Fixture, STEP_NS, Server, call, model};
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
    // The training summary comes from inside the model file.
    let training = &models[0]["training"];
    assert_eq!(training["inputs"], json!(["synthetic"]), "{training}");
    assert!(training["rows"].as_u64().is_some_and(|rows| rows > 0), "{training}");

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
    let erin = server.user("erin", "engineer").await;
    let signed = |comment: &str, password: &str| json!({"comment": comment, "signature": {"password": password, "meaning": "approved"}});
    assert_eq!(erin.post_json(activate, json!({})).await.status, 400);
    assert_eq!(erin.post_json(activate, json!({"comment": "no signature"})).await.status, 400);
    let unsigned =
        json!({"comment": "c", "signature": {"password": erin.password, "meaning": " "}});
    assert_eq!(erin.post_json(activate, unsigned).await.status, 400);
    // A wrong password: 401, nothing activated, an audited signature failure.
    let wrong = erin.post_json(activate, signed("validated", "not-her-password")).await;
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    // The admin token is not a person and cannot sign.
    let by_token = server.post_json(activate, signed("validated", "whatever-password")).await;
    assert_eq!(by_token.status, 403, "{}", by_token.text());
    // Nor can erin's own API token, with her right password: a script is not its owner.
    let token =
        server.post_json("/api/v1/tokens", json!({"username": "erin", "label": "ci"})).await.json()
            ["token"]
            .as_str()
            .unwrap()
            .to_string();
    let body = signed("validated", &erin.password).to_string();
    let by_her_token =
        call(server.addr, "POST", activate, Some(&token), Some(body.as_bytes())).await;
    assert_eq!(by_her_token.status, 403, "{}", by_her_token.text());
    assert!(by_her_token.text().contains("login session"), "{}", by_her_token.text());
    let activated =
        erin.post_json(activate, signed("validated on last week's data", &erin.password)).await;
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
    // The list shows who signed the activation, when, and what it means.
    let signature = &listed[1]["signature"];
    assert_eq!(signature["signer"], "erin", "{listed}");
    assert_eq!(signature["meaning"], "approved");
    assert!(signature["signed_at"].as_str().unwrap().ends_with('Z'));
    assert!(listed[0]["signature"].is_null(), "version 1 was activated by the configuration");
    let assets = server.get("/api/v1/assets").await.json();
    let pump = assets.as_array().unwrap().iter().find(|a| a["name"] == "pump1").unwrap().clone();
    assert_eq!(pump["model"]["version"], 2);

    for (path, status) in [
        ("/api/v1/models/pump1/9/activate", 404),
        ("/api/v1/models/nope/1/activate", 404),
        ("/api/v1/models/pump1/x/activate", 400),
    ] {
        let reply = erin.post_json(path, signed("x", &erin.password)).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
    }

    // Scoring goes on with the new model.
    server.ingest_rows(1000..1010, |v| v).await;

    let events = server.get("/api/v1/events").await.json();
    let by = |action: &str, actor: &str| {
        events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == action && e["actor"] == actor)
            .unwrap_or_else(|| panic!("no {action} by {actor} in {events}"))
            .clone()
    };
    let upload = by("model.upload", "admin-token");
    assert_eq!(upload["reason"], "retrained after the pump swap");
    assert_eq!(upload["target"], "pump1");
    let activation = by("model.activate", "erin");
    assert_eq!(activation["reason"], "validated on last week's data");
    assert_eq!(activation["old_value"], "1");
    assert_eq!(activation["new_value"], "2");
    assert_eq!(activation["signature"]["signer"], "erin");
    assert_eq!(activation["signature"]["meaning"], "approved");
    // The tokens' attempts to sign are denials like any other: audited, under the throttle.
    let denied: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "access.denied" && e["target"] == format!("POST {activate}"))
        .collect();
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert!(denied.iter().all(|e| e["new_value"] == "403"), "{denied:?}");
    assert!(denied.iter().any(|e| e["actor"] == "admin-token"), "{denied:?}");
    let by_token = denied.iter().find(|e| e["actor"] != "admin-token").unwrap();
    assert!(by_token["reason"].as_str().unwrap().contains("login session"), "{by_token}");
    let failure = by("signature.failure", "erin");
    assert_eq!(failure["target"], "user/erin");
    assert_eq!(failure["new_value"], "model.activate pump1 v2");
    // What the engine refused changed nothing, and says who tried what, and why: the file that
    // is not a model and the unknown asset; the signed activations of an unknown version and
    // asset, with their signatures. Malformed requests (no comment, no body) never reach it.
    let refused = |action: &str| -> Vec<serde_json::Value> {
        let events = events.as_array().unwrap().iter();
        events.filter(|e| e["action"] == action).cloned().collect()
    };
    let uploads = refused("model.upload.refused");
    let targets: Vec<_> = uploads.iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(targets.len(), 2, "{uploads:?}");
    assert!(targets.contains(&"nope") && targets.contains(&"pump1"), "{uploads:?}");
    let not_a_model = uploads.iter().find(|e| e["target"] == "pump1").unwrap();
    assert_eq!(not_a_model["actor"], "admin-token");
    assert_eq!(not_a_model["new_value"], sha256_hex(b"not a model"));
    assert!(not_a_model["reason"].as_str().is_some_and(|r| !r.is_empty()), "{not_a_model}");
    assert!(not_a_model["reason"].as_str().unwrap().ends_with("(comment: x)"), "{not_a_model}");
    // The caller's asset name and the engine's reason, which may quote it, are cut short: the
    // trail keeps every record for good.
    let long = "n".repeat(3000);
    let reply = server.post(&format!("/api/v1/models?asset={long}&comment=x"), &bytes).await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    let events = server.get("/api/v1/events").await.json();
    let cut = events.as_array().unwrap().iter().find(|e| {
        e["action"] == "model.upload.refused" && e["target"].as_str().unwrap().starts_with("nnn")
    });
    let cut = cut.unwrap_or_else(|| panic!("no refused upload of the long asset in {events}"));
    assert_eq!(cut["target"].as_str().unwrap().chars().count(), 500);
    assert!(cut["reason"].as_str().unwrap().chars().count() <= 500 + " (comment: x)".len());
    let activations = refused("model.activate.refused");
    assert_eq!(activations.len(), 2, "{activations:?}");
    let unknown = activations.iter().find(|e| e["target"] == "pump1").unwrap();
    assert_eq!((&unknown["actor"], &unknown["new_value"]), (&json!("erin"), &json!("9")));
    assert_eq!(unknown["signature"]["signer"], "erin", "{unknown}");
    assert!(unknown["reason"].as_str().unwrap().contains('9'), "{unknown}");

    // A signature's password is a guess like a login's: after five wrong ones the account is
    // locked, and the right one is refused too until the window passes.
    let fritz = server.user("fritz", "engineer").await;
    for _ in 0..5 {
        let wrong = fritz.post_json(activate, signed("x", "a-guess-of-a-password")).await;
        assert_eq!(wrong.status, 401, "{}", wrong.text());
    }
    let locked = fritz.post_json(activate, signed("x", &fritz.password)).await;
    assert_eq!(locked.status, 429, "{}", locked.text());

    let verify = server.get("/api/v1/audit/verify").await.json();
    assert_eq!(verify["ok"], true, "{verify}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_is_refitted_on_a_window_of_journaled_history_and_signed_into_service() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    // After "maintenance" channel a runs 3 units higher: the new normal, 400 samples of it.
    server
        .ingest_rows(0..400, |mut v| {
            v[0] += 3.0;
            v
        })
        .await;
    let (from, to) = (BASE_NS, BASE_NS + 400 * STEP_NS);
    let refit = "/api/v1/models/pump1/refit";
    let body = |method: Option<&str>, from: i64, to: i64, comment: &str| {
        let mut body = json!({"from": from, "to": to, "comment": comment});
        if let Some(method) = method {
            body["method"] = json!(method);
        }
        body
    };

    let erin = server.user("erin", "engineer").await;
    for (request, status) in [
        (body(None, to, from, "x"), 400),
        (body(None, from, to, " "), 400),
        (body(Some("dpca"), from, to, "x"), 400),
        (body(None, to, to + STEP_NS, "an empty window"), 400),
    ] {
        let reply = erin.post_json(refit, request.clone()).await;
        assert_eq!(reply.status, status, "{request}: {}", reply.text());
    }
    let unknown = erin.post_json("/api/v1/models/nope/refit", body(None, from, to, "x")).await;
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    let no_model = erin.post_json("/api/v1/models/fan2/refit", body(None, from, to, "x")).await;
    assert_eq!(no_model.status, 409, "{}", no_model.text());

    // Without `method`, the active model's kind (pca); with it, the default detector.
    let as_active = erin.post_json(refit, body(None, from, to, "after the chamber clean")).await;
    assert_eq!(as_active.status, 201, "{}", as_active.text());
    let as_active = as_active.json();
    assert_eq!(
        (as_active["rows"].as_u64(), as_active["incomplete"].as_u64()),
        (Some(400), Some(0))
    );
    assert_eq!(as_active["model"]["kind"], "pca");
    assert_eq!(as_active["model"]["version"], 2);
    assert_eq!(as_active["model"]["active"], false, "a refit is registered, not activated");
    let text = json!({"from": "2023-01-01T00:00:00Z", "to": to, "method": "default", "comment": "after the chamber clean"});
    let default = erin.post_json(refit, text).await;
    assert_eq!(default.status, 201, "{}", default.text());
    assert_eq!(default.json()["model"]["kind"], "default");
    assert_eq!(default.json()["model"]["version"], 3);
    let models = server.get("/api/v1/models?asset=pump1").await.json();
    let v3 = models.as_array().unwrap().iter().find(|m| m["version"] == 3).unwrap().clone();
    let inputs = v3["training"]["inputs"][0].as_str().unwrap().to_string();
    assert!(inputs.starts_with("journal pump1 "), "{inputs}");
    assert_eq!(v3["training"]["rows"], 400);

    // Audited as an upload by the engineer, with the window and the reason.
    let events = server.get("/api/v1/audit?limit=100").await.json();
    let upload = events.as_array().unwrap().iter().find(|e| e["action"] == "model.upload").unwrap();
    assert_eq!(upload["actor"], "erin");
    let reason = upload["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("refit (default) on journal pump1 ")
            && reason.ends_with(": after the chamber clean"),
        "{reason}"
    );

    // Activation is the usual signed step, and the engine takes the refitted model.
    let sign = json!({"comment": "new baseline", "signature": {"password": erin.password, "meaning": "approved"}});
    let activated = erin.post_json("/api/v1/models/pump1/3/activate", sign).await;
    assert_eq!(activated.status, 200, "{}", activated.text());
    let assets = server.get("/api/v1/assets").await.json();
    let pump = assets.as_array().unwrap().iter().find(|a| a["name"] == "pump1").unwrap().clone();
    assert_eq!(pump["model"]["version"], 3, "{pump}");
    server.stop().await;
}
