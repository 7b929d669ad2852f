//! Engine tests without a broker: in-process ingest, the replay source, fault classification.

use std::path::Path;
use std::time::{Duration, Instant};

use faultline_detectors::PcaConfig;
use faultline_store::TrainingSummary;
use faultline_testkit::{Fault, FaultKind, Plant, PlantConfig, inject};
use faultline_train::{Method, fit_classifier_model, fit_model};
use faultline_types::{ChannelSchema, ChannelValue, Quality, Recording, Sample, Timestamp};

use crate::asset::{AssetRuntime, CLASSIFIER_WINDOW, Diagnosis};
use crate::{Command, Config, Engine};

fn plant() -> Plant {
    Plant::new(PlantConfig { channels: 6, factors: 2, ..PlantConfig::default() })
}

fn faulty(plant: &Plant, rows: usize, seed: u64) -> Recording {
    faulty_on(plant, rows, seed, 2)
}

/// `rows` of `plant` with channel `channel` (0-based) stepped by 6 from the first row.
fn faulty_on(plant: &Plant, rows: usize, seed: u64, channel: usize) -> Recording {
    let mut run = plant.normal_run(rows, seed);
    inject(
        &mut run,
        &Fault { kind: FaultKind::Step { magnitude: 6.0 }, channels: vec![channel], onset: 0 },
        seed,
    );
    run
}

fn samples(run: &Recording, asset: &str, start: i64) -> Vec<Sample> {
    samples_every(run, asset, start, 1_000_000)
}

/// The rows of `run` as samples of `asset`, `step` ns apart from `start`.
fn samples_every(run: &Recording, asset: &str, start: i64, step: i64) -> Vec<Sample> {
    let names: Vec<&str> = run.schema.names().collect();
    run.iter_rows()
        .enumerate()
        .map(|(i, row)| Sample {
            asset: asset.into(),
            ts: Timestamp(start + i as i64 * step),
            values: names
                .iter()
                .zip(row)
                .map(|(n, v)| ChannelValue {
                    channel: n.to_string(),
                    value: *v,
                    quality: Quality::Good,
                })
                .collect(),
            context: Vec::new(),
        })
        .collect()
}

fn write_model(dir: &Path, plant: &Plant) -> std::path::PathBuf {
    let normal = plant.normal_run(2_000, 1);
    let model =
        fit_model(&normal, Method::Pca, PcaConfig::default(), TrainingSummary::default()).unwrap();
    let path = dir.join("model.flm");
    model.save(&path).unwrap();
    path
}

/// A configuration with one asset, `line`, scored by the `default` model `file` (written to
/// `dir`, whose path comes back too), its data directory in `dir`.
fn default_line_config(
    dir: &Path,
    file: &faultline_train::DefaultModelFile,
) -> (Config, std::path::PathBuf) {
    let model = dir.join("default.flm");
    file.save(&model).unwrap();
    let text = format!(
        "data_dir = \"{}\"\n[[assets]]\nname = \"line\"\nmodel = \"{}\"\n",
        dir.join("data").display(),
        model.display()
    );
    (Config::parse(&text, Path::new("test.toml")).unwrap(), model)
}

/// A configuration with one asset, `line`, scored by a PCA model of `plant` (written to `dir`),
/// its data directory in `dir`.
fn line_config(dir: &Path, plant: &Plant) -> String {
    let model = write_model(dir, plant);
    format!(
        "data_dir = \"{}\"\n[[assets]]\nname = \"line\"\nmodel = \"{}\"\n",
        dir.join("data").display(),
        model.display()
    )
}

/// Makes the store refuse every alarm change (its audit record), as a full disk would, through
/// a separate connection; `DROP TRIGGER refuse_alarms` on it lets them through again.
fn refuse_alarm_writes(dir: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(dir.join("data").join("faultline.db")).unwrap();
    db.execute_batch(
        "CREATE TRIGGER refuse_alarms BEFORE INSERT ON events WHEN NEW.action LIKE 'alarm.%' \
         BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;",
    )
    .unwrap();
    db
}

/// Starts an engine on [`line_config`] and feeds `line` 50 normal samples; the configuration
/// comes back for a restart.
async fn started_with_50_normal_samples(dir: &Path, plant: &Plant) -> (Config, Engine) {
    let config = Config::parse(&line_config(dir, plant), Path::new("test.toml")).unwrap();
    let engine = Engine::start(config.clone()).await.unwrap();
    let normal = samples(&plant.normal_run(50, 3), "line", 0);
    assert_eq!(engine.ingest_samples(normal).await.unwrap().accepted, 50);
    (config, engine)
}

async fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until asset `line` has at least `n` stored scores.
async fn wait_scored(engine: &Engine, n: usize) {
    let reader = engine.reader().unwrap();
    wait_for("scores", || (reader.latest_scores("line", 100_000).ok()?.len() >= n).then_some(()))
        .await
}

/// The audit actions on alarm `id` after event `before`, its `alarm.update`s left out.
fn alarm_changes(reader: &faultline_store::Store, id: u64, before: Option<u64>) -> Vec<String> {
    let target = format!("alarm/{id}");
    reader
        .events(usize::MAX, before)
        .unwrap()
        .into_iter()
        .filter(|(_, e)| e.target == target && e.action != "alarm.update")
        .map(|(_, e)| e.action)
        .collect()
}

/// Uploads the model file `path` again for `line` and activates it as `version`.
async fn activate_again(engine: &Engine, path: &Path, version: u32) {
    let bytes = std::fs::read(path).unwrap();
    let (actor, comment) = ("lena".to_string(), "same model, new version".to_string());
    let asset = "line".to_string();
    let upload = Command::UploadModel {
        asset: asset.clone(),
        bytes,
        actor: actor.clone(),
        comment: comment.clone(),
    };
    engine.command(upload).await.unwrap();
    let activate = Command::ActivateModel { asset, version, actor, comment, signature: None };
    engine.command(activate).await.unwrap();
}

/// The text of a configuration with one asset, `line`, scored by the model file `model` and
/// diagnosed by a fault classifier fitted on `runs` (written to `dir`), its data directory in
/// `dir`.
fn classified_line_config(dir: &Path, model: &Path, runs: &[(u32, Recording)]) -> String {
    let classifier = fit_classifier_model(runs, TrainingSummary::default()).unwrap();
    let classifier_path = dir.join("classifier.flm");
    classifier.save(&classifier_path).unwrap();
    format!(
        "data_dir = \"{}\"\n[[assets]]\nname = \"line\"\nmodel = \"{}\"\nclassifier = \"{}\"\n",
        dir.join("data").display(),
        model.display(),
        classifier_path.display()
    )
}

/// Feeds asset `line` 200 normal samples, then 100 with `ch3` stepped, and checks that an alarm
/// names `ch3` and carries fault class 7 (how the classifiers of these tests label that fault).
async fn a_fault_on_ch3_is_classified_as_7(engine: &Engine, plant: &Plant) {
    let mut batch = samples(&plant.normal_run(200, 3), "line", 0);
    batch.extend(samples(&faulty(plant, 100, 4), "line", 200_000_000));
    assert_eq!(engine.ingest_samples(batch).await.unwrap().accepted, 300);
    let reader = engine.reader().unwrap();
    let alarm = wait_for("an alarm with a fault class", || {
        let alarms = reader.open_alarms().ok()?;
        alarms.into_iter().find(|a| a.fault_class.is_some())
    })
    .await;
    let class = alarm.fault_class.clone().unwrap();
    assert_eq!(class.label, "7", "{alarm:?}");
    assert!(class.confidence > 0.5 && class.confidence <= 1.0, "{alarm:?}");
    assert_eq!(alarm.contributors[0].channel, "ch3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarms_carry_the_suspected_fault_class_from_the_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let model = write_model(dir.path(), &plant);
    let runs = vec![(0, plant.normal_run(2_000, 1)), (7, faulty(&plant, 600, 2))];
    let text = classified_line_config(dir.path(), &model, &runs);
    let engine =
        Engine::start(Config::parse(&text, Path::new("test.toml")).unwrap()).await.unwrap();
    a_fault_on_ch3_is_classified_as_7(&engine, &plant).await;
    engine.shutdown().await;
}

/// A restart warms the fault classifier as it warms the detector (`AssetRuntime::warm`, run at
/// start over the samples scored last before the stop): its window is full again, and the first
/// sample after it that is out of control is classified at once, from the fault's frames. Without
/// the warm-up the window held that one sample.
#[test]
fn the_warm_up_refills_the_classifiers_window() {
    let plant = plant();
    let normal = plant.normal_run(2_000, 1);
    let model =
        fit_model(&normal, Method::Pca, PcaConfig::default(), TrainingSummary::default()).unwrap();
    let runs = [(0, normal), (7, faulty(&plant, 600, 2))];
    let classifier = fit_classifier_model(&runs, TrainingSummary::default()).unwrap();
    let runtime = || {
        let mut runtime = AssetRuntime::new("line".into(), "site".into(), Vec::new());
        runtime.install(1, model.clone());
        let schema = &runtime.model.as_ref().unwrap().schema;
        let parameters = classifier.parameters.clone();
        runtime.diagnosis = Some(Diagnosis::new(parameters, &classifier.schema, schema).unwrap());
        runtime
    };
    let mut history = samples(&plant.normal_run(200, 3), "line", 0);
    history.extend(samples(&faulty(&plant, 100, 4), "line", 200_000_000));
    let (next, scored_before_the_stop) = history.split_last().unwrap();
    let mut unknown = 0;

    let mut warmed = runtime();
    warmed.warm(scored_before_the_stop);
    assert_eq!(warmed.diagnosis.as_ref().unwrap().frames(), CLASSIFIER_WINDOW);
    warmed.score(next, &mut unknown).unwrap();
    let class = warmed.suspect.clone().expect("the fault is classified at once");
    assert_eq!(class.label, "7", "{class:?}");

    let mut cold = runtime();
    cold.score(next, &mut unknown).unwrap();
    assert_eq!(cold.diagnosis.as_ref().unwrap().frames(), 1);
}

/// `run` keeping only the channels `keep` says yes to, in reverse order.
fn reversed(run: &Recording, keep: impl Fn(&str) -> bool) -> Recording {
    let names: Vec<&str> = run.schema.names().collect();
    let kept: Vec<usize> = (0..names.len()).rev().filter(|j| keep(names[*j])).collect();
    let schema = ChannelSchema::from_names(kept.iter().map(|j| names[*j])).unwrap();
    let values = run.iter_rows().flat_map(|row| kept.iter().map(|j| row[*j])).collect();
    Recording::new("reversed", schema, None, values).unwrap()
}

/// A new model version whose channels come in another order: the classifier follows it (it
/// kept reading the channels at the old positions, so a fault on `ch3` read as the one on
/// `ch4`). One that lacks a classifier channel is refused at upload and at activation (the
/// classifier indexed past the end of the new frame and the engine panicked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_classifier_follows_a_model_with_its_channels_in_another_order() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let model = write_model(dir.path(), &plant);
    let runs = vec![
        (0, plant.normal_run(2_000, 1)),
        (7, faulty_on(&plant, 600, 2, 2)),
        (8, faulty_on(&plant, 600, 5, 3)),
    ];
    let text = classified_line_config(dir.path(), &model, &runs);
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    let engine = Engine::start(config.clone()).await.unwrap();
    let normal = plant.normal_run(2_000, 1);
    let fit = |run: &Recording| {
        fit_model(run, Method::Pca, PcaConfig::default(), TrainingSummary::default())
            .unwrap()
            .to_bytes()
    };
    let (actor, comment, asset) = ("lena".to_string(), "reordered".to_string(), "line");
    let upload = |bytes: Vec<u8>| Command::UploadModel {
        asset: asset.into(),
        bytes,
        actor: actor.clone(),
        comment: comment.clone(),
    };
    let activate = |version: u32| Command::ActivateModel {
        asset: asset.into(),
        version,
        actor: actor.clone(),
        comment: comment.clone(),
        signature: None,
    };

    let short = fit(&reversed(&normal, |name| name != "ch6"));
    let short_bytes = short.clone();
    let refused = engine.command(upload(short.clone())).await.unwrap_err().to_string();
    assert!(refused.contains("the fault classifier") && refused.contains("ch6"), "{refused}");
    engine.command(upload(fit(&reversed(&normal, |_| true)))).await.unwrap();
    engine.command(activate(2)).await.unwrap();

    a_fault_on_ch3_is_classified_as_7(&engine, &plant).await;
    engine.shutdown().await;

    // A version stored before the classifier was configured, short of one of its channels.
    let plain = format!(
        "data_dir = \"{}\"\n[[assets]]\nname = \"line\"\nmodel = \"{}\"\n",
        dir.path().join("data").display(),
        model.display()
    );
    let engine =
        Engine::start(Config::parse(&plain, Path::new("test.toml")).unwrap()).await.unwrap();
    engine.command(upload(short)).await.unwrap();
    engine.shutdown().await;
    let engine = Engine::start(config).await.unwrap();
    let refused = engine.command(activate(3)).await.unwrap_err().to_string();
    let why = "model version 3: asset `line`: the fault classifier reads channel `ch6`, which the \
               model lacks";
    assert!(refused.contains(why), "{refused}");
    let active = engine.reader().unwrap().models(Some(asset)).unwrap();
    let active: Vec<u32> = active.iter().filter(|m| m.active).map(|m| m.version).collect();
    assert_eq!(active, vec![1], "the version configured for the asset is active again");
    engine.shutdown().await;

    // The same file configured as the asset's model beside the classifier: the start is refused
    // before the file is registered or activated (it was activated, and audited as such, first).
    let short_path = dir.path().join("short.flm");
    std::fs::write(&short_path, &short_bytes).unwrap();
    let both = text.replace(&model.display().to_string(), &short_path.display().to_string());
    let error = match Engine::start(Config::parse(&both, Path::new("test.toml")).unwrap()).await {
        Ok(_) => panic!("a configured model short of a classifier channel started"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("reads channel `ch6`, which the model lacks"), "{error}");
    let store = faultline_store::Store::open(&dir.path().join("data")).unwrap();
    let versions = store.models(Some(asset)).unwrap();
    let active: Vec<u32> = versions.iter().filter(|m| m.active).map(|m| m.version).collect();
    assert_eq!((versions.len(), active), (3, vec![1]), "{versions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replay_source_feeds_every_row_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let model = write_model(dir.path(), &plant);
    let run = plant.normal_run(300, 5);
    let mut csv = plant.channel_names().join(",") + "\n";
    for row in run.iter_rows() {
        csv += &(row.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",") + "\n");
    }
    std::fs::write(dir.path().join("history.csv"), csv).unwrap();
    let text = format!(
        "data_dir = \"{}\"\n[[assets]]\nname = \"line\"\nmodel = \"{}\"\n\
         [[sources]]\nkind = \"replay\"\nasset = \"line\"\nfile = \"{}\"\nperiod_ms = 100\nspeed = 1000.0\n",
        dir.path().join("data").display(),
        model.display(),
        dir.path().join("history.csv").display()
    );
    let engine =
        Engine::start(Config::parse(&text, Path::new("test.toml")).unwrap()).await.unwrap();
    let scored = wait_for("300 scored rows", || {
        let m = engine.metrics();
        (m.scored >= 300).then_some(m.scored)
    })
    .await;
    assert_eq!(scored, 300);
    let stored = engine.reader().unwrap().sample_count(Some("line")).unwrap();
    assert_eq!(stored, 300);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_model_raises_an_alarm_naming_the_shifted_channel() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let normal = plant.normal_run(2_000, 1);
    let file = faultline_train::fit_default_model(&normal, TrainingSummary::default()).unwrap();
    let (config, _) = default_line_config(dir.path(), &file);
    let engine = Engine::start(config).await.unwrap();
    let mut batch = samples(&plant.normal_run(200, 3), "line", 0);
    batch.extend(samples(&faulty(&plant, 100, 4), "line", 200_000_000));
    let report = engine.ingest_samples(batch).await.unwrap();
    assert_eq!(report.accepted, 300);
    let reader = engine.reader().unwrap();
    let alarm = wait_for("an alarm", || reader.open_alarms().ok()?.into_iter().next()).await;
    assert_eq!(alarm.asset, "line");
    assert!(alarm.raised_at.0 >= 200_000_000, "raised before the fault: {alarm:?}");
    assert!(!alarm.contributors.is_empty(), "{alarm:?}");
    assert_eq!(alarm.contributors[0].channel, "ch3", "{alarm:?}");
    assert!(alarm.contributors[0].value > 0.0, "{alarm:?}");
    // Every sample is scored but the warm-up one(s) of differenced channels.
    let expected = 300 - file.parameters.warm_up() as u64;
    let scored = wait_for("every scored row", || {
        let m = engine.metrics();
        (m.scored >= expected).then_some(m.scored)
    })
    .await;
    assert_eq!(scored, expected);
    engine.shutdown().await;
}

/// A channel sent less often than the others is carried forward by the frames stage between
/// its updates; those carried values are not the sensor repeating itself, so the `default`
/// model's frozen-value check (limit 10 frames for a channel that never repeated in training)
/// does not alarm on them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_sent_less_often_does_not_read_as_frozen() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let file = faultline_train::fit_default_model(&plant.normal_run(2_000, 1), Default::default())
        .unwrap();
    assert_eq!(file.parameters.frozen_limit[1], 10, "{:?}", file.parameters.frozen_limit);
    let (config, _) = default_line_config(dir.path(), &file);
    let engine = Engine::start(config).await.unwrap();
    let mut batch = samples(&plant.normal_run(400, 5), "line", 0);
    for (i, sample) in batch.iter_mut().enumerate() {
        if i % 20 != 0 {
            sample.values.retain(|v| v.channel != "ch2");
        }
    }
    assert_eq!(engine.ingest_samples(batch).await.unwrap().accepted, 400);
    let reader = engine.reader().unwrap();
    let expected = 400 - file.parameters.warm_up();
    let scores = wait_for("every scored row", || {
        let scores = reader.latest_scores("line", 1_000).ok()?;
        (scores.len() >= expected).then_some(scores)
    })
    .await;
    // Counted as repeats, the carried values gave 204 alarms led by ch2 (frames 11–19 of every
    // 20); what remains is the other branches seeing a stale value now and then.
    let led = scores.iter().filter(|s| s.alarm && s.top[0].channel == "ch2").count();
    assert!(led < 40, "{led} alarms led by the channel sent every 20th sample");
    engine.shutdown().await;
}

/// A restart, or activating a model version, used to start the detector from a fresh state:
/// an alarm on a sensor that stays frozen (or a shift the EWMAs hold) returned and was raised
/// again once the memory had rebuilt. The recently scored samples now warm the detector first,
/// so the alarm stays active across both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_on_a_frozen_sensor_stays_active_across_a_restart() {
    frozen_alarm_survives_a_restart_and_an_activation(None).await;
}

/// The same with a frozen-value limit longer than the plain warm-up (a quantised channel that
/// repeated for 600 rows in a long training window): the warm-up reaches back twice as far.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_on_a_frozen_sensor_with_a_long_limit_stays_active_across_a_restart() {
    frozen_alarm_survives_a_restart_and_an_activation(Some(1_200)).await;
}

async fn frozen_alarm_survives_a_restart_and_an_activation(limit: Option<u32>) {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let mut file =
        faultline_train::fit_default_model(&plant.normal_run(2_000, 1), Default::default())
            .unwrap();
    if let Some(limit) = limit {
        file.parameters.frozen_limit[3] = limit;
    }
    let stop = 200 + limit.unwrap_or(0) as usize;
    let (config, model) = default_line_config(dir.path(), &file);
    let mut run = plant.normal_run(stop + 120, 6);
    let fault = Fault { kind: FaultKind::Stuck, channels: vec![3], onset: 100 };
    inject(&mut run, &fault, 6);
    let all = samples(&run, "line", 0);
    let engine = Engine::start(config.clone()).await.unwrap();
    assert_eq!(engine.ingest_samples(all[..stop].to_vec()).await.unwrap().accepted, stop);
    wait_scored(&engine, stop - file.parameters.warm_up()).await;
    let reader = engine.reader().unwrap();
    let alarm = reader.open_alarms().unwrap().into_iter().next().expect("the frozen ch4 alarms");
    assert_eq!(alarm.contributors[0].channel, "ch4", "{alarm:?}");
    assert_eq!(alarm.state.as_str(), "unacked_active", "{alarm:?}");
    // Before the run passed a long limit the other branches may have raised and returned it.
    let before = reader.events(usize::MAX, None).unwrap().last().map(|(id, _)| *id);
    engine.shutdown().await;

    let engine = Engine::start(config).await.unwrap();
    assert_eq!(engine.ingest_samples(all[stop..stop + 60].to_vec()).await.unwrap().accepted, 60);
    wait_scored(&engine, stop + 60 - file.parameters.warm_up()).await;
    // The same model again, as a new version, activated mid-fault.
    activate_again(&engine, &model, 2).await;
    assert_eq!(engine.ingest_samples(all[stop + 60..].to_vec()).await.unwrap().accepted, 60);
    wait_scored(&engine, stop + 120 - file.parameters.warm_up()).await;
    let reader = engine.reader().unwrap();
    let changes = alarm_changes(&reader, alarm.id, before);
    assert!(changes.is_empty(), "the alarm neither returned nor was raised again: {changes:?}");
    let open = reader.open_alarms().unwrap();
    assert!(
        open.iter().any(|a| a.id == alarm.id && a.state.as_str() == "unacked_active"),
        "{open:?}"
    );
    engine.shutdown().await;
}

/// A channel that stops delivering is carried forward by the frames stage, so the statistics
/// cannot see it move; once it has been silent for longer than its limit (data time) the
/// asset's silence alarm is raised and names it, through a restart and a model activation
/// (whose warm-ups reach back twice the limit, here more than their usual 1,000 samples), until
/// it delivers again. A channel whose limit is 0 is never named, and the process alarm is not
/// involved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_that_stops_delivering_raises_a_silence_alarm_naming_it() {
    const MS: i64 = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    // Channels that barely move together, so values carried forward at their means keep every
    // statistic in control: what raises the alarm here is the silence alone.
    let plant = Plant::new(PlantConfig {
        channels: 6,
        factors: 2,
        noise: 3.0,
        autocorrelation: 0.0,
        ..PlantConfig::default()
    });
    let text = format!(
        "{}silent_after_seconds = 150\nchannel_silent_after_seconds = {{ ch6 = 0 }}\n",
        line_config(dir.path(), &plant)
    );
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    // Ten samples a second: 100 s whole, then ch2 and ch6 stop for 300 s (ch2 first absent,
    // then `bad`), then everything again.
    let mut all = samples_every(&plant.normal_run(5_000, 8), "line", 0, 100 * MS);
    for channel in ["ch2", "ch6"] {
        let value =
            |sample: &Sample| sample.values.iter().find(|v| v.channel == channel).map(|v| v.value);
        let mean = all[..1_000].iter().filter_map(value).sum::<f64>() / 1_000.0;
        if let Some(last) = all[999].values.iter_mut().find(|v| v.channel == channel) {
            last.value = mean;
        }
    }
    for (i, sample) in all.iter_mut().enumerate().take(4_000).skip(1_000) {
        sample.values.retain(|v| v.channel != "ch6");
        if i < 2_000 {
            sample.values.retain(|v| v.channel != "ch2");
        } else if let Some(v) = sample.values.iter_mut().find(|v| v.channel == "ch2") {
            v.quality = Quality::Bad;
        }
    }
    let engine = Engine::start(config.clone()).await.unwrap();
    let started = engine.assets()[0].last_received;
    assert_eq!(engine.ingest_samples(all[..3_000].to_vec()).await.unwrap().accepted, 3_000);
    wait_scored(&engine, 3_000).await;
    assert!(engine.assets()[0].last_received > started, "the quiet time starts over");
    let reader = engine.reader().unwrap();
    let alarms = reader.alarms(&Default::default()).unwrap();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    let alarm = &alarms[0];
    assert_eq!(alarm.kind, faultline_types::AlarmKind::Silence, "{alarm:?}");
    let named: Vec<&str> = alarm.contributors.iter().map(|c| c.channel.as_str()).collect();
    assert_eq!(named, ["ch2"], "{alarm:?}");
    // ch2 last delivered at 99.9 s: silent from 250.0 s (more than 150 s), raised on the third
    // such sample (persistence 3 of 5), at least Medium.
    assert_eq!(alarm.raised_at, Timestamp(2_502 * 100 * MS), "{alarm:?}");
    assert!(alarm.priority >= faultline_types::Priority::Medium, "{alarm:?}");
    assert_eq!(engine.assets()[0].silent_channels, ["ch2"]);
    let before = reader.events(usize::MAX, None).unwrap().last().map(|(id, _)| *id);
    engine.shutdown().await;

    // Restarted at 300 s while ch2 is still silent: the warm-up measures its silence again
    // (3,000 samples back, not 1,000), so the alarm is neither returned nor raised anew, and
    // the asset says so before the next sample.
    let engine = Engine::start(config).await.unwrap();
    assert_eq!(engine.assets()[0].silent_channels, ["ch2"], "named again by the warm-up");
    assert_eq!(engine.ingest_samples(all[3_000..3_200].to_vec()).await.unwrap().accepted, 200);
    wait_scored(&engine, 3_200).await;
    // The same model as a new version, activated mid-silence: warmed the same way.
    activate_again(&engine, &dir.path().join("model.flm"), 2).await;
    assert_eq!(engine.ingest_samples(all[3_200..].to_vec()).await.unwrap().accepted, 1_800);
    wait_scored(&engine, 5_000).await;
    let reader = engine.reader().unwrap();
    let changes = alarm_changes(&reader, alarm.id, before);
    assert_eq!(changes, ["alarm.return"]);
    let alarms = reader.alarms(&Default::default()).unwrap();
    assert_eq!(alarms.len(), 1, "no process alarm: {alarms:?}");
    assert_eq!(alarms[0].state.as_str(), "unacked_returned", "{:?}", alarms[0]);
    // ch2 delivers again at 400 s; the alarm returns after 5 clear samples.
    assert_eq!(alarms[0].cleared_at, Some(Timestamp(4_004 * 100 * MS)), "{:?}", alarms[0]);
    assert!(engine.assets()[0].silent_channels.is_empty());
    engine.shutdown().await;
}

/// A sample from outside stamped far ahead of the clock would make every real sample of its
/// asset `out_of_order` until the clock caught up (across restarts, since the journal keeps
/// it): it is rejected as `future`, counted, and the asset goes on. faultline's own stamps (a
/// replay at a speed above 1 runs ahead on purpose) are not checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_stamped_far_ahead_of_the_clock_is_rejected_and_the_asset_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let model = write_model(dir.path(), &plant);
    let text = format!(
        "data_dir = \"{}\"\n[ingest]\nmax_ahead_seconds = 60\n[[assets]]\nname = \"line\"\n\
         model = \"{}\"\n[[assets]]\nname = \"replayed\"\nmodel = \"{}\"\n",
        dir.path().join("data").display(),
        model.display(),
        model.display()
    );
    let engine =
        Engine::start(Config::parse(&text, Path::new("test.toml")).unwrap()).await.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let now = i64::try_from(now.as_nanos()).unwrap();
    let body = |ts: i64| {
        format!(r#"{{"samples": [{{"asset": "line", "ts": {ts}, "values": {{"ch1": 1.0}}}}]}}"#)
    };
    let year_2255 = 9_000_000_000_000_000_000;
    for ahead in [year_2255, now + 61_000_000_000] {
        let report = engine.ingest_json(body(ahead).as_bytes()).await.unwrap();
        assert_eq!(report.accepted, 0);
        assert_eq!(report.rejected.get(&faultline_types::RejectReason::Future), Some(&1));
    }
    // Within the allowance, and then a real sample after it: both accepted, both in order.
    for ts in [now + 30_000_000_000, now + 31_000_000_000] {
        let report = engine.ingest_json(body(ts).as_bytes()).await.unwrap();
        assert_eq!(report.accepted, 1, "{report:?}");
    }
    let metrics = engine.metrics();
    let count = |reason| metrics.rejects.iter().find(|(r, _)| *r == reason).map(|(_, n)| *n);
    assert_eq!(count(faultline_types::RejectReason::Future), Some(2));
    assert_eq!(count(faultline_types::RejectReason::OutOfOrder), Some(0));
    // The engine's own stamps run ahead freely.
    let ahead = samples(&plant.normal_run(3, 5), "replayed", now + 86_400_000_000_000);
    assert_eq!(engine.ingest_samples(ahead).await.unwrap().accepted, 3);
    engine.shutdown().await;
}

/// `1e200` is finite and passes the decoder, but its T² overflows to ∞ (and SPE can become
/// NaN). The score used to be refused by the store with its whole batch, and the alarm it
/// raised stayed open in memory but was never stored or audited: now both are saturated at
/// the largest finite number and stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_that_overflows_the_statistics_is_scored_alarmed_and_stored() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let text = line_config(dir.path(), &plant);
    let engine =
        Engine::start(Config::parse(&text, Path::new("test.toml")).unwrap()).await.unwrap();
    let mut batch = samples(&plant.normal_run(20, 3), "line", 0);
    for sample in &mut batch[10..] {
        sample.values[0].value = 1e200;
    }
    assert_eq!(engine.ingest_samples(batch).await.unwrap().accepted, 20);
    let reader = engine.reader().unwrap();
    let alarm = wait_for("a stored alarm", || reader.open_alarms().ok()?.into_iter().next()).await;
    assert_eq!(alarm.contributors[0].channel, "ch1", "{alarm:?}");
    let scores = wait_for("20 stored scores", || {
        let rows = reader.latest_scores("line", 100).ok()?;
        (rows.len() == 20).then_some(rows)
    })
    .await;
    let overflowed = scores.iter().filter(|s| s.t2 == f64::MAX || s.spe == f64::MAX).count();
    assert_eq!(overflowed, 10);
    assert!(scores.iter().filter(|s| s.t2 == f64::MAX || s.spe == f64::MAX).all(|s| s.alarm));
    assert!(reader.audit_report().unwrap().ok());
    engine.shutdown().await;
}

/// Ordering and channels are judged before the journal: a rejected sample is neither kept nor
/// reported as accepted (it used to be journaled, answered `accepted` and then refused by the
/// frames stage, counted only in the metrics).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_the_frames_stage_would_refuse_are_rejected_before_the_journal() {
    use faultline_types::RejectReason;

    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let text = line_config(dir.path(), &plant);
    let engine =
        Engine::start(Config::parse(&text, Path::new("test.toml")).unwrap()).await.unwrap();
    let one = |ts: i64, channel: &str| {
        format!(r#"{{"asset": "line", "ts": {ts}, "values": {{"{channel}": 1.0}}}}"#)
    };
    let batch = |samples: &[String]| format!(r#"{{"samples": [{}]}}"#, samples.join(","));
    let first = batch(&[
        one(1_000, "ch1"),
        one(2_000, "ch1"),
        one(1_500, "ch1"),  // older than the newest of the same batch
        one(2_000, "ch2"),  // the same timestamp again
        one(3_000, "nope"), // no channel of the model at all
    ]);
    let report = engine.ingest_json(first.as_bytes()).await.unwrap();
    assert_eq!(report.accepted, 2, "{report:?}");
    let rejected = |reason| report.rejected.get(&reason).copied();
    assert_eq!(rejected(RejectReason::OutOfOrder), Some(1));
    assert_eq!(rejected(RejectReason::Duplicate), Some(1));
    assert_eq!(rejected(RejectReason::UnknownChannel), Some(1));
    // A later batch: a resend of a journaled sample is a duplicate, an older one out of order.
    let second = batch(&[one(1_000, "ch1"), one(500, "ch1"), one(4_000, "ch1")]);
    let report = engine.ingest_json(second.as_bytes()).await.unwrap();
    assert_eq!(report.accepted, 1, "{report:?}");
    assert_eq!(report.rejected.get(&RejectReason::Duplicate), Some(&1));
    assert_eq!(report.rejected.get(&RejectReason::OutOfOrder), Some(&1));
    let reader = engine.reader().unwrap();
    assert_eq!(reader.sample_count(Some("line")).unwrap(), 3, "only accepted samples are kept");
    // Each rejection is counted once, by the reason the sender was told.
    let metrics = engine.metrics();
    let count = |reason| metrics.rejects.iter().find(|(r, _)| *r == reason).map(|(_, n)| *n);
    assert_eq!(count(RejectReason::OutOfOrder), Some(2));
    assert_eq!(count(RejectReason::Duplicate), Some(2));
    assert_eq!(count(RejectReason::UnknownChannel), Some(1));
    engine.shutdown().await;
}

/// The warm-up at start reads samples that are already scored; one damaged on disk is no
/// reason to refuse to start (it only leaves the detector unwarmed, and says so).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_journal_record_among_scored_samples_does_not_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let (config, engine) = started_with_50_normal_samples(dir.path(), &plant).await;
    engine.shutdown().await;
    let db = rusqlite::Connection::open(dir.path().join("data").join("faultline.db")).unwrap();
    let damaged = db
        .execute("UPDATE samples SET payload = CAST('{}' AS BLOB) WHERE seq = (SELECT max(seq) - 5 FROM samples)", [])
        .unwrap();
    assert_eq!(damaged, 1);
    drop(db);

    let engine = Engine::start(config).await.expect("starts, unwarmed");
    let next = samples(&plant.normal_run(5, 5), "line", 50_000_000);
    assert_eq!(engine.ingest_samples(next).await.unwrap().accepted, 5);
    let reader = engine.reader().unwrap();
    wait_for("55 scores", || (reader.latest_scores("line", 1000).ok()?.len() == 55).then_some(()))
        .await;
    engine.shutdown().await;
}

/// A sample is acknowledged once journaled and scored just after; a `kill -9` in between used
/// to leave it unscored for good. At start, what an asset journaled after its newest score is
/// scored before new input (here journaled behind the engine's back, as a crash leaves it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_journaled_but_not_scored_before_a_stop_are_scored_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let text = line_config(dir.path(), &plant);
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    let engine = Engine::start(config.clone()).await.unwrap();
    let normal = samples(&plant.normal_run(50, 3), "line", 0);
    assert_eq!(engine.ingest_samples(normal).await.unwrap().accepted, 50);
    engine.shutdown().await;
    let mut store = faultline_store::Store::open(&dir.path().join("data")).unwrap();
    assert_eq!(store.latest_scores("line", 1000).unwrap().len(), 50);
    // 30 more journaled, not scored, with a step on one channel.
    let tail = samples(&faulty(&plant, 30, 4), "line", 50_000_000);
    store.append_samples(&tail).unwrap();
    assert!(store.open_alarms().unwrap().is_empty());
    drop(store);

    let engine = Engine::start(config).await.unwrap();
    let reader = engine.reader().unwrap();
    assert_eq!(reader.latest_scores("line", 1000).unwrap().len(), 80);
    assert!(!reader.open_alarms().unwrap().is_empty(), "the fault in the gap raised its alarm");
    // New input continues after the gap, in order.
    let next = samples(&plant.normal_run(5, 5), "line", 80_000_000);
    assert_eq!(engine.ingest_samples(next).await.unwrap().accepted, 5);
    wait_for("85 scores", || (reader.latest_scores("line", 1000).ok()?.len() == 85).then_some(()))
        .await;
    engine.shutdown().await;
}

/// An alarm change the store refuses (disk full, a lock held too long) is not dropped while the
/// engine moves on: it waits, in order, is retried every second, and is stored with its audit
/// record once the store takes writes again. Meanwhile operator commands are refused, so no
/// change overtakes it, and `alarm_changes_unsaved` says one is waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_change_the_store_refuses_waits_and_is_stored_when_it_can_be() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let text = line_config(dir.path(), &plant);
    let engine =
        Engine::start(Config::parse(&text, Path::new("test.toml")).unwrap()).await.unwrap();
    let normal = samples(&plant.normal_run(50, 3), "line", 0);
    assert_eq!(engine.ingest_samples(normal).await.unwrap().accepted, 50);
    let db = refuse_alarm_writes(dir.path());
    let fault = samples(&faulty(&plant, 30, 4), "line", 50_000_000);
    assert_eq!(engine.ingest_samples(fault).await.unwrap().accepted, 30);
    let reader = engine.reader().unwrap();
    // The processor takes inputs in order: this command runs after the group has been scored.
    let ack = crate::Command::Acknowledge { id: 1, actor: "olga".into(), comment: "seen".into() };
    let refused = engine.command(ack).await.unwrap_err();
    assert!(refused.to_string().contains("not stored yet"), "{refused}");
    let waiting = engine.metrics().alarm_changes_unsaved;
    assert!(waiting >= 1, "the raise (and what followed it) waits");
    assert!(reader.open_alarms().unwrap().is_empty());
    // Their scores wait with them: a stop now would leave these samples to be scored again.
    assert_eq!(reader.latest_scores("line", 1000).unwrap().len(), 50);

    db.execute_batch("DROP TRIGGER refuse_alarms").unwrap();
    let alarm =
        wait_for("the raise stored", || reader.open_alarms().ok()?.into_iter().next()).await;
    assert_eq!(alarm.contributors[0].channel, "ch3");
    wait_for("80 scores", || (reader.latest_scores("line", 1000).ok()?.len() == 80).then_some(()))
        .await;
    wait_for("nothing waiting", || (engine.metrics().alarm_changes_unsaved == 0).then_some(()))
        .await;
    let events = reader.events(1000, None).unwrap();
    let alarm_events: Vec<_> =
        events.iter().filter(|(_, e)| e.action.starts_with("alarm.")).collect();
    assert_eq!(alarm_events.len() as u64, waiting, "every change that waited, once, in order");
    assert_eq!(alarm_events[0].1.action, "alarm.raise");
    assert!(reader.audit_report().unwrap().ok());
    let ack =
        crate::Command::Acknowledge { id: alarm.id, actor: "olga".into(), comment: "seen".into() };
    engine.command(ack).await.unwrap();
    engine.shutdown().await;
}

/// The alarm changes a batch of samples causes and the scores of that batch are stored in one
/// transaction. A store that refuses the scores (as a full disk would) holds the changes back
/// with them, instead of keeping the changes and losing the scores (after a crash, the next
/// start would then score those samples again and record the changes twice). Once the store
/// takes writes both land, each change recorded once, and a restart finds nothing to re-score.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarm_changes_are_stored_with_their_scores_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let text = line_config(dir.path(), &plant);
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    let engine = Engine::start(config.clone()).await.unwrap();
    let reader = engine.reader().unwrap();
    let normal = samples(&plant.normal_run(50, 3), "line", 0);
    assert_eq!(engine.ingest_samples(normal).await.unwrap().accepted, 50);
    wait_for("50 scores", || (reader.latest_scores("line", 100).ok()?.len() == 50).then_some(()))
        .await;
    let db = rusqlite::Connection::open(dir.path().join("data").join("faultline.db")).unwrap();
    db.execute_batch(
        "CREATE TRIGGER refuse_scores BEFORE INSERT ON scores \
         BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;",
    )
    .unwrap();
    let fault = samples(&faulty(&plant, 30, 4), "line", 50_000_000);
    assert_eq!(engine.ingest_samples(fault).await.unwrap().accepted, 30);
    wait_for("a change waiting", || (engine.metrics().alarm_changes_unsaved > 0).then_some(()))
        .await;
    let alarm_records = |store: &faultline_store::Store| {
        let events = store.events(10_000, None).unwrap();
        events.into_iter().filter(|(_, e)| e.action.starts_with("alarm.")).count()
    };
    assert_eq!(alarm_records(&reader), 0, "no change stored without its scores");
    assert!(reader.open_alarms().unwrap().is_empty());
    assert_eq!(reader.latest_scores("line", 100).unwrap().len(), 50);

    db.execute_batch("DROP TRIGGER refuse_scores").unwrap();
    wait_for("both stored", || (engine.metrics().alarm_changes_unsaved == 0).then_some(())).await;
    assert_eq!(reader.latest_scores("line", 100).unwrap().len(), 80);
    let stored = alarm_records(&reader);
    let raises = reader.events(10_000, None).unwrap();
    let raises = raises.iter().filter(|(_, e)| e.action == "alarm.raise").count();
    assert_eq!(raises, 1, "one fault, one raise");
    assert!(reader.audit_report().unwrap().ok());
    engine.shutdown().await;

    let engine = Engine::start(config).await.unwrap();
    let reader = engine.reader().unwrap();
    assert_eq!(
        alarm_records(&reader),
        stored,
        "nothing left to score again, nothing recorded twice"
    );
    assert_eq!(reader.open_alarms().unwrap().len(), 1);
    engine.shutdown().await;
}

/// Two engines on one data directory would hand out the same alarm ids and overwrite each
/// other's alarms: the second is refused, naming the first, until the first has stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_engine_on_the_same_data_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = line_config(dir.path(), &plant());
    let config = Config::parse(&text, Path::new("test.toml")).unwrap();
    let first = Engine::start(config.clone()).await.unwrap();
    let Err(refused) = Engine::start(config.clone()).await else {
        panic!("a second engine on the same data directory was started");
    };
    let message = refused.to_string();
    assert!(message.contains("in use by faultline pid"), "{message}");
    first.shutdown().await;
    let second = Engine::start(config).await.unwrap();
    second.shutdown().await;
}

/// A stop while alarm changes wait (the store refuses them) loses none: their scores waited
/// too, so the next start scores those samples again and stores the changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarm_changes_that_wait_at_a_stop_are_derived_again_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let plant = plant();
    let (config, engine) = started_with_50_normal_samples(dir.path(), &plant).await;
    let db = refuse_alarm_writes(dir.path());
    let fault = samples(&faulty(&plant, 30, 4), "line", 50_000_000);
    assert_eq!(engine.ingest_samples(fault).await.unwrap().accepted, 30);
    engine.shutdown().await;
    db.execute_batch("DROP TRIGGER refuse_alarms").unwrap();
    let engine = Engine::start(config).await.unwrap();
    let reader = engine.reader().unwrap();
    assert_eq!(reader.latest_scores("line", 1000).unwrap().len(), 80);
    assert!(!reader.open_alarms().unwrap().is_empty(), "the raise was derived again");
    engine.shutdown().await;
}
