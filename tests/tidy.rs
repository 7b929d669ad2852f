//! Tidy: the workspace's structural rules (DESIGN.md §2–3, ARCHITECTURE.md) as `cargo test`s.
//!
//! - Dependency direction: every `crates/*/Cargo.toml` may name only `faultline-*` crates on a
//!   lower level of [`LEVELS`]; `testkit` is a normal dependency of `cli` only.
//! - Every Rust file under `crates/` and `tests/` starts with a `//!` line saying what it is for.
//! - The pure crates ([`PURE_CRATES`]) do no IO and never read the clock.
//!
//! Each check is a function over text, and the `bites_*` tests at the end feed it a small violation
//! made up in memory, so a check that silently stopped rejecting anything would fail here. The
//! checks read text, not Rust syntax: they are tripwires for the usual mistakes, not proofs.

use std::fs;
use std::path::{Path, PathBuf};

/// The level of each crate under `crates/`, by directory name (DESIGN.md §2). A crate may depend
/// on crates on a lower level only: never sideways (same level), never upward. Crates that do not
/// exist yet are listed so that they land where DESIGN.md puts them.
const LEVELS: &[(&str, u8)] = &[
    ("types", 0),
    ("sources", 1),
    ("frames", 1),
    ("detectors", 1),
    ("alarms", 1),
    ("store", 1),
    ("sinks", 2),
    ("auth", 2),
    ("train", 2),
    ("pipeline", 3),
    ("report", 3),
    ("api", 4),
    ("cli", 5),
];

/// The synthetic plant sits outside the levels: it is test and demo equipment.
const TESTKIT: &str = "testkit";
/// What `testkit` itself may depend on.
const TESTKIT_USES: &[&str] = &["types", "frames"];
/// Who may name `testkit` under `[dependencies]` (the offline demo and `bench throughput`);
/// everyone else takes it as a dev-dependency.
const TESTKIT_NORMAL_USERS: &[&str] = &["cli"];

/// Crates that do no IO and never read the clock (DESIGN.md §3); `alarms` counts once it exists.
const PURE_CRATES: &[&str] = &["types", "frames", "detectors", "alarms"];
/// Text that means IO, the clock or an async runtime in a pure crate.
const IO_MARKERS: &[&str] =
    &["std::fs", "std::net", "std::io", "SystemTime", "Instant::now", "tokio"];

/// Whether an edge ships in the library or only in its tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Dev,
}

/// Manifest tables that hold dependencies (also looked up under `[target.*]`).
const SECTIONS: &[(&str, Kind)] = &[
    ("dependencies", Kind::Normal),
    ("build-dependencies", Kind::Normal),
    ("dev-dependencies", Kind::Dev),
];

const RULE: &str = "a crate may depend only on crates on a lower level (DESIGN.md §2)";

#[test]
fn dependency_edges_point_down() {
    let dirs = crate_dirs();
    assert!(
        dirs.iter().any(|dir| dir.ends_with("crates/types")),
        "no crates found under {}",
        root().display()
    );
    let violations: Vec<String> = dirs
        .iter()
        .flat_map(|dir| manifest_violations(&file_name(dir), &read(&dir.join("Cargo.toml"))))
        .collect();
    assert!(violations.is_empty(), "dependency rules broken:\n{}", violations.join("\n"));
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let files: Vec<PathBuf> =
        ["crates", "tests"].iter().flat_map(|dir| rust_files(&root().join(dir))).collect();
    // The walk itself must see the files this test is known to cover.
    assert!(
        files.contains(&root().join("crates/cli/main.rs"))
            && files.contains(&root().join("tests/tidy.rs"))
    );
    let offenders: Vec<String> = files
        .into_iter()
        .filter(|path| lacks_module_doc(&read(path)))
        .map(|path| relative(&path))
        .collect();
    assert!(
        offenders.is_empty(),
        "these files do not start with a `//!` line saying what they are for:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn pure_crates_do_no_io_and_read_no_clock() {
    let types_lib = root().join("crates/types/src/lib.rs");
    assert!(rust_files(&root().join("crates/types/src")).contains(&types_lib));
    let mut violations = Vec::new();
    for file in PURE_CRATES
        .iter()
        .flat_map(|name| rust_files(&root().join("crates").join(name).join("src")))
    {
        if file.file_name().is_some_and(|name| name == "tests.rs") {
            continue;
        }
        let path = relative(&file);
        violations.extend(io_violations(&read(&file)).into_iter().map(|v| format!("{path}:{v}")));
    }
    assert!(
        violations.is_empty(),
        "IO or clock in a crate that must do neither (DESIGN.md §3; time comes with the data):\n{}",
        violations.join("\n")
    );
}

/// Everything wrong with the manifest of the crate in `crates/<dir>`.
fn manifest_violations(dir: &str, text: &str) -> Vec<String> {
    let manifest: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(error) => return vec![format!("crates/{dir}/Cargo.toml: not valid TOML: {error}")],
    };
    if !is_classified(dir) {
        return vec![format!(
            "crates/{dir}: crate `{dir}` is not classified; add it to LEVELS in tests/tidy.rs \
             and to the dependency list in ARCHITECTURE.md"
        )];
    }
    let mut violations: Vec<String> = package_name_violation(dir, &manifest).into_iter().collect();
    for &(section, kind) in SECTIONS {
        for to in internal_deps(&manifest, section) {
            if let Some(rule) = edge_violation(dir, &to, kind) {
                violations
                    .push(format!("crates/{dir}/Cargo.toml [{section}]: {dir} -> {to}: {rule}"));
            }
        }
    }
    violations
}

/// Package names are `faultline-<dir>`, which is what lets dependency names map to directories.
fn package_name_violation(dir: &str, manifest: &toml::Table) -> Option<String> {
    let name = manifest.get("package").and_then(|p| p.get("name")).and_then(toml::Value::as_str);
    let expected = format!("faultline-{dir}");
    (name != Some(expected.as_str())).then(|| {
        format!("crates/{dir}/Cargo.toml: package name is {name:?}, expected \"{expected}\"")
    })
}

/// The `faultline-*` crates named in `section`, top level and under `[target.*]`, as directory
/// names. A renamed entry counts by its `package`.
fn internal_deps(manifest: &toml::Table, section: &str) -> Vec<String> {
    let per_target = manifest.get("target").and_then(toml::Value::as_table);
    let per_target =
        per_target.into_iter().flat_map(|targets| targets.values()).filter_map(|t| t.get(section));
    manifest
        .get(section)
        .into_iter()
        .chain(per_target)
        .filter_map(toml::Value::as_table)
        .flat_map(|deps| deps.iter())
        .filter_map(|(key, spec)| {
            package_of(key, spec).strip_prefix("faultline-").map(str::to_owned)
        })
        .collect()
}

fn package_of<'a>(key: &'a str, spec: &'a toml::Value) -> &'a str {
    spec.get("package").and_then(toml::Value::as_str).unwrap_or(key)
}

/// Why the edge `from -> to` breaks a rule, or `None` when it is allowed.
fn edge_violation(from: &str, to: &str, kind: Kind) -> Option<String> {
    if !is_classified(to) {
        return Some(format!(
            "`faultline-{to}` is not classified; add it to LEVELS in tests/tidy.rs"
        ));
    }
    if to == TESTKIT {
        return testkit_user_violation(from, kind);
    }
    if from == TESTKIT {
        return (!TESTKIT_USES.contains(&to))
            .then(|| format!("testkit may use only {}", TESTKIT_USES.join(", ")));
    }
    let (from_level, to_level) = (level(from)?, level(to)?);
    if to_level == from_level {
        Some(format!("sideways edge, both on level {from_level}; {RULE}"))
    } else if to_level > from_level {
        Some(format!("upward edge, level {from_level} to level {to_level}; {RULE}"))
    } else {
        None
    }
}

fn testkit_user_violation(from: &str, kind: Kind) -> Option<String> {
    if from == TESTKIT {
        return Some("testkit cannot depend on itself".to_owned());
    }
    (kind == Kind::Normal && !TESTKIT_NORMAL_USERS.contains(&from)).then(|| {
        format!(
            "testkit is a normal dependency of {} only; put it under [dev-dependencies]",
            TESTKIT_NORMAL_USERS.join(", ")
        )
    })
}

fn level(name: &str) -> Option<u8> {
    LEVELS.iter().find(|(crate_name, _)| *crate_name == name).map(|&(_, level)| level)
}

fn is_classified(name: &str) -> bool {
    name == TESTKIT || level(name).is_some()
}

/// The first line must itself be the `//!` doc: no blank line, attribute or comment before it.
fn lacks_module_doc(text: &str) -> bool {
    !text.starts_with("//!")
}

/// IO or clock markers in the code before the first `#[cfg(test)]`, as `line: marker`. Comment
/// lines are skipped so that docs may name what the crate avoids.
fn io_violations(text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .take_while(|(_, line)| !line.trim_start().starts_with("#[cfg(test)]"))
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .flat_map(|(index, line)| {
            IO_MARKERS
                .iter()
                .filter(|marker| line.contains(*marker))
                .map(move |marker| format!("{}: `{marker}`", index + 1))
        })
        .collect()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        read_dir(&root().join("crates")).into_iter().filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

/// Every `.rs` file under `dir` (none when it does not exist), sorted; hidden folders and
/// `target` are skipped.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if dir.is_dir() {
        collect_rust_files(dir, &mut files);
    }
    files.sort();
    files
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for path in read_dir(dir) {
        let name = file_name(&path);
        if path.is_dir() && !name.starts_with('.') && name != "target" {
            collect_rust_files(&path, files);
        } else if path.is_file() && name.ends_with(".rs") {
            files.push(path);
        }
    }
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let entries = fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    entries
        .map(|entry| entry.unwrap_or_else(|error| panic!("{}: {error}", dir.display())).path())
        .collect()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", relative(path)))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

// The checks bite: each one rejects a made-up violation and accepts the matching clean case.

fn manifest(dir: &str, sections: &str) -> String {
    format!("[package]\nname = \"faultline-{dir}\"\nversion = \"0.1.0\"\n\n{sections}")
}

#[test]
fn bites_sideways_edge() {
    let text = manifest(
        "detectors",
        "[dependencies]\nfaultline-types.workspace = true\nfaultline-frames.workspace = true\n",
    );
    let violations = manifest_violations("detectors", &text);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("detectors -> frames: sideways edge"), "{}", violations[0]);
}

#[test]
fn bites_upward_edge() {
    let violations = manifest_violations(
        "types",
        &manifest("types", "[dependencies]\nfaultline-train = { path = \"../train\" }\n"),
    );
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].contains("types -> train: upward edge, level 0 to level 2"),
        "{}",
        violations[0]
    );
}

#[test]
fn bites_sideways_dev_edge_and_hidden_edges() {
    let sections = "[dev-dependencies]\nfaultline-store.workspace = true\n\n\
                    [target.'cfg(unix)'.dependencies]\nfaultline-sources.workspace = true\n\n\
                    [dependencies]\n\
                    frames = { package = \"faultline-frames\", path = \"../frames\" }\n";
    let violations = manifest_violations("detectors", &manifest("detectors", sections));
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert!(
        violations.iter().any(|v| v.contains("[dev-dependencies]: detectors -> store: sideways"))
    );
    assert!(
        violations.iter().any(|v| v.contains("[dependencies]: detectors -> sources: sideways"))
    );
    assert!(violations.iter().any(|v| v.contains("[dependencies]: detectors -> frames: sideways")));
}

#[test]
fn accepts_downward_edges() {
    let sections = "[dependencies]\nfaultline-types.workspace = true\n\
                    faultline-sources.workspace = true\n\
                    faultline-frames.workspace = true\nfaultline-detectors.workspace = true\n\
                    faultline-store.workspace = true\nserde.workspace = true\n\n\
                    [dev-dependencies]\nfaultline-testkit.workspace = true\n";
    assert_eq!(manifest_violations("train", &manifest("train", sections)), Vec::<String>::new());
}

#[test]
fn bites_testkit_as_normal_dependency_outside_cli() {
    let normal = "[dependencies]\nfaultline-testkit.workspace = true\n";
    let violations = manifest_violations("train", &manifest("train", normal));
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("train -> testkit: testkit is a normal dependency of cli only"));
    assert!(manifest_violations("cli", &manifest("cli", normal)).is_empty());
    assert!(
        manifest_violations(
            "types",
            &manifest("types", "[dev-dependencies]\nfaultline-testkit.workspace = true\n")
        )
        .is_empty()
    );
}

#[test]
fn bites_testkit_reaching_past_its_inputs() {
    let text = manifest(
        "testkit",
        "[dependencies]\nfaultline-types.workspace = true\nfaultline-detectors.workspace = true\n",
    );
    let violations = manifest_violations("testkit", &text);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("testkit -> detectors: testkit may use only types, frames"));
}

#[test]
fn bites_unclassified_crates() {
    let unknown_crate = manifest_violations("widgets", &manifest("widgets", ""));
    assert!(unknown_crate[0].contains("crate `widgets` is not classified"), "{unknown_crate:?}");
    let unknown_dep = manifest_violations(
        "cli",
        &manifest("cli", "[dependencies]\nfaultline-widgets.workspace = true\n"),
    );
    assert!(
        unknown_dep[0].contains("cli -> widgets: `faultline-widgets` is not classified"),
        "{unknown_dep:?}"
    );
}

#[test]
fn bites_package_name_that_differs_from_the_directory() {
    let violations = manifest_violations("frames", &manifest("framing", ""));
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("expected \"faultline-frames\""), "{}", violations[0]);
}

#[test]
fn bites_file_without_module_doc() {
    assert!(lacks_module_doc("use std::fmt;\n"));
    assert!(lacks_module_doc("\n//! Doc after a blank line.\n"));
    assert!(lacks_module_doc("/// An item doc, not a module doc.\nfn f() {}\n"));
    assert!(lacks_module_doc(""));
    assert!(!lacks_module_doc("//! What this file is for.\n\nuse std::fmt;\n"));
}

#[test]
fn bites_io_and_clock_in_pure_code() {
    let text = "//! Detectors.\n\nfn load() -> Vec<u8> {\n\
                    std::fs::read(\"model\").unwrap()\n}\n\
                fn now() { let _ = std::time::Instant::now(); }\n\
                use std::time::{Duration, SystemTime};\n";
    assert_eq!(io_violations(text), ["4: `std::fs`", "6: `Instant::now`", "7: `SystemTime`"]);
}

#[test]
fn io_check_skips_comments_and_test_code() {
    let text = "//! No `std::fs` here.\n// Never call Instant::now.\nfn f() {}\n\n\
                #[cfg(test)]\nmod tests {\n    use std::fs;\n}\n";
    assert!(io_violations(text).is_empty());
}
