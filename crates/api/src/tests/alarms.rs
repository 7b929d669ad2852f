//! Alarms end to end: a fault injected into ingested samples raises an alarm with
//! contributors; operators shelve, unshelve and acknowledge it with comments; illegal moves are
//! 409, unknown alarms 404; every action is in the audit trail.

use serde_json::{Value, json};

use super::harness::{Fixture, Server, eventually};

async fn alarm(server: &Server, id: u64) -> Value {
    let reply = server.get(&format!("/api/v1/alarms/{id}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_raises_an_alarm_that_operators_handle() {
    let fixture = Fixture::new();
    let server = Server::start(&fixture).await;
    server.ingest_rows(1000..1020, |v| v).await;
    // Channel c steps away from what a and d say it should be: the correlation breaks.
    server.ingest_rows(1020..1030, |[a, b, c, d]| [a, b, c + 4.0, d]).await;

    let raised = eventually("an alarm on pump1", || async {
        let list = server.get("/api/v1/alarms?asset=pump1").await.json();
        list.as_array().unwrap().first().cloned()
    })
    .await;
    let id = raised["id"].as_u64().unwrap();
    assert_eq!(raised["asset"], "pump1");
    assert_eq!(raised["state"], "unacked_active");
    assert!(raised["peak"].as_f64().unwrap() > 1.0);
    let contributors = raised["contributors"].as_array().unwrap();
    assert!(!contributors.is_empty());
    assert!(contributors.iter().any(|c| c["channel"] == "c"), "{raised}");
    assert!(raised["raised_at"].as_str().unwrap().starts_with("2023-11-14T22:30:2"));

    // Filters.
    let open = server.get("/api/v1/alarms?state=open").await.json();
    assert_eq!(open.as_array().unwrap().len(), 1);
    let normal = server.get("/api/v1/alarms?state=normal&asset=pump1").await.json();
    assert!(normal.as_array().unwrap().is_empty());
    assert!(server.get("/api/v1/alarms?asset=fan2").await.json().as_array().unwrap().is_empty());
    assert_eq!(server.get("/api/v1/alarms?state=acked").await.status, 400);
    // The asset status is published after the batch that raised the alarm is stored (and its
    // audit record anchored), so it may lag the alarm list by a moment.
    let pump = eventually("pump1 in state alarm", || async {
        let assets = server.get("/api/v1/assets").await.json();
        let pump = assets.as_array()?.iter().find(|a| a["name"] == "pump1")?.clone();
        (pump["state"] == "alarm").then_some(pump)
    })
    .await;
    assert_eq!(pump["open_alarms"], 1);
    let metrics = server.get("/metrics").await.text();
    assert!(metrics.contains("faultline_asset_open_alarms{asset=\"pump1\"} 1\n"), "{metrics}");
    assert!(metrics.contains("faultline_alarms_raised_total 1\n"), "{metrics}");

    let base = format!("/api/v1/alarms/{id}");
    // Comments are required.
    for body in [json!({}), json!({"comment": "  "}), json!({"comment": "x", "extra": 1})] {
        let reply = server.post_json(&format!("{base}/ack"), body).await;
        assert_eq!(reply.status, 400, "{}", reply.text());
    }
    assert_eq!(server.post(&format!("{base}/ack"), b"{not json").await.status, 400);
    assert_eq!(
        server.post_json("/api/v1/alarms/abc/ack", json!({"comment": "x"})).await.status,
        400
    );

    // Shelve: bad deadlines are refused, then shelved for 30 minutes.
    for body in [
        json!({"comment": "maintenance"}),
        json!({"comment": "maintenance", "minutes": 5, "until": "2099-01-01T00:00:00Z"}),
        json!({"comment": "maintenance", "until": "2020-01-01T00:00:00Z"}),
        json!({"comment": "maintenance", "minutes": 0}),
    ] {
        let reply = server.post_json(&format!("{base}/shelve"), body).await;
        assert_eq!(reply.status, 400, "{}", reply.text());
    }
    let shelved = server
        .post_json(&format!("{base}/shelve"), json!({"comment": "pump swap", "minutes": 30}))
        .await;
    assert_eq!(shelved.status, 200, "{}", shelved.text());
    assert_eq!(shelved.json()["state"], "shelved");
    let stored = alarm(&server, id).await;
    assert_eq!(stored["state"], "shelved");
    let until = shelved.json()["shelved_until_ns"].as_i64().expect("a shelved alarm's deadline");
    assert_eq!(stored["shelved_until_ns"], until, "the deadline survives the store round trip");
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let now = i64::try_from(since_epoch.as_nanos()).unwrap();
    let thirty_minutes = 30 * 60 * 1_000_000_000_i64;
    assert!((until - now - thirty_minutes).abs() < 60 * 1_000_000_000, "{until} vs {now}");
    let twice = server
        .post_json(&format!("{base}/shelve"), json!({"comment": "again", "minutes": 5}))
        .await;
    assert_eq!(twice.status, 409, "{}", twice.text());
    assert_eq!(twice.json()["error"], "conflict");

    // Unshelve: the condition is still active, so it annunciates again.
    let back = server.post_json(&format!("{base}/unshelve"), json!({"comment": "swap done"})).await;
    assert_eq!(back.status, 200, "{}", back.text());
    assert_eq!(back.json()["state"], "unacked_active");
    assert_eq!(back.json()["shelved_until"], serde_json::Value::Null);
    let again =
        server.post_json(&format!("{base}/unshelve"), json!({"comment": "swap done"})).await;
    assert_eq!(again.status, 409);

    // Acknowledge: as the engine says, then not twice.
    // An operator acknowledges: the audit record names them, not a shared account.
    let otto = server.user("otto", "operator").await;
    let acked =
        otto.post_json(&format!("{base}/ack"), json!({"comment": "seen, checking valve C"})).await;
    assert_eq!(acked.status, 200, "{}", acked.text());
    let acked = acked.json();
    assert_eq!(acked["state"], "acked_active");
    assert_eq!(alarm(&server, id).await["state"], acked["state"]);
    let twice = server.post_json(&format!("{base}/ack"), json!({"comment": "again"})).await;
    assert_eq!(twice.status, 409, "{}", twice.text());
    let unknown = server.post_json("/api/v1/alarms/999999/ack", json!({"comment": "x"})).await;
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert_eq!(unknown.json()["error"], "not_found");
    assert_eq!(server.get("/api/v1/alarms/999999").await.status, 404);

    // The fault clears: an acknowledged alarm returns to normal and is closed.
    server.ingest_rows(1030..1045, |v| v).await;
    eventually("the alarm to return to normal", || async {
        (alarm(&server, id).await["state"] == "normal").then_some(())
    })
    .await;
    let closed = alarm(&server, id).await;
    assert!(closed["cleared_at_ns"].is_i64(), "{closed}");
    assert_eq!(
        server.post_json(&format!("{base}/ack"), json!({"comment": "late"})).await.status,
        409
    );

    // The audit trail, newest first, has every operator action with its comment.
    let events = server.get("/api/v1/events?limit=1000").await.json();
    let events = events.as_array().unwrap();
    let ids: Vec<u64> = events.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let target = format!("alarm/{id}");
    let find = |action: &str| {
        events
            .iter()
            .find(|e| e["action"] == action && e["target"] == target.as_str())
            .unwrap_or_else(|| panic!("no {action} event"))
            .clone()
    };
    let ack = find("alarm.ack");
    assert_eq!(ack["actor"], "otto");
    assert_eq!(ack["reason"], "seen, checking valve C");
    assert_eq!(ack["old_value"], "unacked_active");
    assert_eq!(ack["new_value"], "acked_active");
    assert_eq!(find("alarm.shelve")["reason"], "pump swap");
    assert_eq!(find("alarm.unshelve")["actor"], "admin-token");
    assert_eq!(find("alarm.raise")["actor"], "engine");
    assert!(events.iter().all(|e| e["at"].as_str().is_some_and(|t| t.ends_with('Z'))));

    // Paging: newest two, the two before them, and the two after an id.
    let newest = server.get("/api/v1/events?limit=2").await.json();
    assert_eq!(
        newest.as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()).collect::<Vec<_>>(),
        ids[..2]
    );
    let older = server.get(&format!("/api/v1/events?limit=2&before={}", ids[1])).await.json();
    assert_eq!(
        older.as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()).collect::<Vec<_>>(),
        ids[2..4]
    );
    let after = server.get(&format!("/api/v1/events?limit=2&after={}", ids[4])).await.json();
    assert_eq!(
        after.as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()).collect::<Vec<_>>(),
        ids[2..4]
    );
    assert_eq!(server.get("/api/v1/events?after=1&before=3").await.status, 400);
    server.stop().await;
}
