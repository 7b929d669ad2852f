//! `GET /metrics`: the engine's counters in the Prometheus text exposition format (0.0.4).

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use faultline_pipeline::{AssetStatus, MetricsSnapshot};

use crate::ApiState;

/// The exposition.
pub(super) async fn get(State(state): State<ApiState>) -> impl IntoResponse {
    let engine = state.engine();
    let mut text = render(&engine.metrics(), &engine.assets(), engine.uptime_seconds());
    let _ = write!(
        text,
        "# HELP faultline_refusals_unrecorded_total Refusals answered 429 (throttled) without an \
         audit record each; each minute of them is one access.unrecorded record.\n\
         # TYPE faultline_refusals_unrecorded_total counter\n\
         faultline_refusals_unrecorded_total {}\n",
        state.throttle().unrecorded_total()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}

/// Renders every metric; every reject reason and every asset appears, zero or not.
pub(crate) fn render(m: &MetricsSnapshot, assets: &[AssetStatus], uptime: f64) -> String {
    let mut out = String::with_capacity(4096);
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let plain = |v: u64| vec![(String::new(), v.to_string())];
    family(
        "faultline_samples_received_total",
        "counter",
        "Samples received from any source, accepted or not.",
        &plain(m.received),
    );
    family(
        "faultline_samples_stored_total",
        "counter",
        "Samples durably journaled.",
        &plain(m.stored),
    );
    let rejects: Vec<(String, String)> = m
        .rejects
        .iter()
        .map(|(reason, n)| (format!("{{reason=\"{}\"}}", reason.as_str()), n.to_string()))
        .collect();
    family(
        "faultline_samples_rejected_total",
        "counter",
        "Samples rejected or dropped, by reason.",
        &rejects,
    );
    family(
        "faultline_frames_scored_total",
        "counter",
        "Frames scored by a detector.",
        &plain(m.scored),
    );
    family("faultline_alarms_raised_total", "counter", "Alarms raised.", &plain(m.alarms_raised));
    family(
        "faultline_alarms_suppressed_total",
        "counter",
        "Alarms suppressed by flood control instead of being announced.",
        &plain(m.alarms_suppressed),
    );
    family(
        "faultline_alarm_changes_unsaved",
        "gauge",
        "Alarm changes the store refused, waiting for their retry (0 when healthy).",
        &plain(m.alarm_changes_unsaved),
    );
    family(
        "faultline_journal_failures_total",
        "counter",
        "Journal writes that failed; their samples were not acknowledged.",
        &plain(m.journal_failures),
    );
    family(
        "faultline_journal_commits_total",
        "counter",
        "Journal transactions committed (group commits, one fsync each).",
        &plain(m.commits),
    );
    family(
        "faultline_journal_commit_seconds_total",
        "counter",
        "Time spent in journal commits.",
        &[(String::new(), float(m.commit_seconds))],
    );
    let quantile =
        |q: &str, v: Option<f64>| (format!("{{quantile=\"{q}\"}}"), float(v.unwrap_or(f64::NAN)));
    family(
        "faultline_alarm_latency_seconds",
        "gauge",
        "Arrival-to-alarm latency over the most recent alarms (NaN before the first alarm).",
        &[quantile("0.5", m.alarm_latency_p50), quantile("0.99", m.alarm_latency_p99)],
    );
    family(
        "faultline_connections_refused_total",
        "counter",
        "API connections closed on arrival because [security] max_connections were open, or \
         max_connections_per_client from the connecting address.",
        &plain(crate::connections::REFUSED_CONNECTIONS.load(std::sync::atomic::Ordering::Relaxed)),
    );
    if let Some((connected, reconnects)) = m.mqtt {
        family(
            "faultline_mqtt_connected",
            "gauge",
            "1 while the MQTT source is connected to the broker.",
            &plain(u64::from(connected)),
        );
        family(
            "faultline_mqtt_reconnects_total",
            "counter",
            "Times the MQTT source connected again after losing the connection.",
            &plain(reconnects),
        );
    }
    family(
        "faultline_uptime_seconds",
        "gauge",
        "Seconds since the engine started.",
        &[(String::new(), float(uptime))],
    );
    let open: Vec<(String, String)> = assets
        .iter()
        .map(|a| (format!("{{asset=\"{}\"}}", label(&a.name)), a.open_alarms.to_string()))
        .collect();
    family("faultline_asset_open_alarms", "gauge", "Alarms not in state normal, per asset.", &open);
    let silent: Vec<(String, String)> = assets
        .iter()
        .map(|a| (format!("{{asset=\"{}\"}}", label(&a.name)), a.silent_channels.len().to_string()))
        .collect();
    family(
        "faultline_asset_silent_channels",
        "gauge",
        "Model channels without a measured value for longer than their limit, per asset.",
        &silent,
    );
    let quiet: Vec<(String, String)> = assets
        .iter()
        .map(|a| {
            let age = a.last_received.elapsed().as_secs_f64();
            (format!("{{asset=\"{}\"}}", label(&a.name)), float(age))
        })
        .collect();
    family(
        "faultline_asset_last_sample_age_seconds",
        "gauge",
        "Seconds since a sample of the asset was last journaled (since the start before the first).",
        &quiet,
    );
    out
}

/// A float as Prometheus writes it (`NaN`, `+Inf`, `-Inf`).
fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        v.to_string()
    }
}

/// Escapes a label value.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_types::RejectReason;

    #[test]
    fn renders_every_family_reason_and_asset() {
        let m = MetricsSnapshot {
            received: 10,
            stored: 7,
            rejects: RejectReason::ALL.iter().map(|r| (*r, 1)).collect(),
            alarm_latency_p50: Some(0.25),
            ..MetricsSnapshot::default()
        };
        let asset = AssetStatus {
            name: "a\"b".into(),
            site: "s".into(),
            channels: vec![],
            model: None,
            last_score: None,
            silent_channels: vec!["flow".into()],
            open_alarms: 2,
            last_received: std::time::Instant::now() - std::time::Duration::from_secs(90),
        };
        let text = render(&m, &[asset], 1.5);
        assert!(text.contains("\nfaultline_samples_received_total 10\n"), "{text}");
        for reason in RejectReason::ALL {
            assert!(text.contains(&format!(
                "faultline_samples_rejected_total{{reason=\"{}\"}} 1\n",
                reason.as_str()
            )));
        }
        assert!(text.contains("faultline_alarm_latency_seconds{quantile=\"0.5\"} 0.25\n"));
        assert!(text.contains("faultline_alarm_latency_seconds{quantile=\"0.99\"} NaN\n"));
        assert!(text.contains("faultline_asset_open_alarms{asset=\"a\\\"b\"} 2\n"));
        assert!(text.contains("faultline_asset_silent_channels{asset=\"a\\\"b\"} 1\n"));
        let age = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("faultline_asset_last_sample_age_seconds{asset=\"a\\\"b\"} ")
            })
            .and_then(|v| v.parse::<f64>().ok());
        assert!(age.is_some_and(|age| (90.0..100.0).contains(&age)), "{text}");
        assert!(text.contains("faultline_uptime_seconds 1.5\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert_eq!(line.split(' ').count(), 2, "{line}");
        }
    }
}
