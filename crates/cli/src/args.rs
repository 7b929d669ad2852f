//! Command-line arguments. Flag names are a contract with users' scripts: extend, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// faultline learns what normal operation of a line looks like from history, then scores new
/// data against it and tells which sensors moved.
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Live demonstration: four simulated lines (HBM etch, robot joint, bioreactor, moulding)
    /// monitored with faults on a schedule, API on 127.0.0.1:8080. `--offline` for a quick
    /// table without a server.
    Demo(DemoArgs),
    /// Run the configured sources, detectors, alarms and API until interrupted.
    Serve(ServeArgs),
    /// Learn normal operation from history files and write a model file.
    Fit(FitArgs),
    /// Score a data file against a model: statistics, limits, alarm and top contributors per row.
    Score(ScoreArgs),
    /// Benchmarks that print tables and write CSV files.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Talk to equipment once and print what it sends, to check a connection before `serve`.
    #[command(subcommand)]
    Probe(ProbeCommand),
    /// User accounts: `faultline user add NAME --role ROLE` creates the first admin (there is
    /// no default password).
    #[command(subcommand)]
    User(UserCommand),
    /// The audit trail: `faultline audit verify` checks it for edits, deletions, reordering
    /// and truncation.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// `faultline user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input (one line) when it is not a
    /// terminal, else prompted twice without echo.
    Add(UserAddArgs),
    /// List the users and their roles.
    List(StoreArgs),
    /// Set a new password for a user, at the machine (for the day nobody can log in as an
    /// admin). Every session of the user ends; read like `add` (standard input or prompts).
    Passwd(UserPasswdArgs),
}

/// `faultline audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the whole audit trail; exit 0 with a summary when intact, 1 naming the first bad
    /// record otherwise.
    Verify(StoreArgs),
}

/// Roles (the policy table is in docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Reads assets, scores, alarms and models.
    Viewer,
    /// A viewer who also handles alarms and may ingest samples.
    Operator,
    /// An operator who also uploads and activates (signs) models and reads the audit trail.
    Engineer,
    /// Everything, including users and API tokens.
    Admin,
}

/// Which store: a data directory, or the one a configuration file names.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Data directory of the store (as `data_dir` in the configuration).
    #[arg(long, value_name = "DIR", conflicts_with = "config", required_unless_present = "config")]
    pub data_dir: Option<PathBuf>,
    /// Configuration file of `faultline serve` (its `data_dir` and `[security]` are used).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `faultline user add`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  faultline user add alice --role admin --data-dir /var/lib/faultline\n  \
printf '%s\\n' \"$PASSWORD\" | faultline user add scada --role operator --config serve.toml"
)]
pub struct UserAddArgs {
    /// User name: 1 to 64 characters of a-z, 0-9, '.', '_' or '-'.
    pub name: String,
    /// Role.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `faultline user passwd`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  faultline user passwd alice --data-dir /var/lib/faultline\n  \
printf '%s\\n' \"$PASSWORD\" | faultline user passwd alice --config serve.toml --comment 'lost badge'\n\n\
Audited as user.password.reset (actor cli:<operating-system user>). A login lockout already \
counted for the name stays until its failures leave the window."
)]
pub struct UserPasswdArgs {
    /// The user name.
    pub name: String,
    /// Why, for the audit record.
    #[arg(long, default_value = "faultline user passwd")]
    pub comment: String,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `faultline probe ...`.
#[derive(Debug, Subcommand)]
pub enum ProbeCommand {
    /// Connect to a SECS/GEM tool over HSMS as the host, trace status variables and print
    /// samples as JSON lines (`{"ts": nanoseconds, "values": {...}}`).
    Hsms(ProbeHsmsArgs),
}

/// HSMS connection modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HsmsModeArg {
    /// Connect to the tool, which listens (the usual set-up).
    Active,
    /// Listen on the address; the tool connects.
    Passive,
}

/// `faultline probe hsms`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  faultline probe hsms --address 10.0.0.5:5000 --svid 1001,1002 \
--period-ms 100 --count 20\n\nChannels are named sv<SVID>. The tool's status variable values \
read with S1F3 are printed to standard error first. See docs/hsms.md."
)]
pub struct ProbeHsmsArgs {
    /// The tool's HSMS address (active) or where to listen (passive), as HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub address: String,
    /// Who opens the connection.
    #[arg(long, value_enum, default_value_t = HsmsModeArg::Active)]
    pub mode: HsmsModeArg,
    /// Device id (HSMS session id).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub device_id: u16,
    /// Status variable ids to trace, comma separated.
    #[arg(long, value_name = "ID,...", value_delimiter = ',', required = true)]
    pub svid: Vec<u32>,
    /// Trace sample period in milliseconds (a multiple of 10).
    #[arg(long, value_name = "P", default_value_t = 1000)]
    pub period_ms: u64,
    /// Samples per trace report (REPGSZ).
    #[arg(long, value_name = "G", default_value_t = 1)]
    pub group_size: u32,
    /// Samples to print before exiting.
    #[arg(long, value_name = "N")]
    pub count: u64,
    /// Seconds to wait for the tool: connection, each reply (T3) and each sample.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
    /// Collection events whose report carries `--context` (for example wafer start, step change).
    #[arg(long, value_name = "CEID,...", value_delimiter = ',', requires = "context")]
    pub ceid: Vec<u32>,
    /// Variables reported with those events and their context keys, as VID=KEY pairs
    /// (for example `2001=lot,2002=wafer`).
    #[arg(long, value_name = "VID=KEY,...", value_delimiter = ',', requires = "ceid")]
    pub context: Vec<String>,
}

/// Options shared by commands that read data files.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Column holding timestamps or labels (CSV/Parquet); echoed in output, never a channel.
    #[arg(long, value_name = "COLUMN")]
    pub time_col: Option<String>,
    /// Columns to leave out, comma separated (for example `--exclude batch_id,operator`).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub exclude: Vec<String>,
}

/// Detector families `fit` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Principal component analysis: T² and SPE on each sample.
    Pca,
    /// Dynamic PCA: PCA on each sample together with its `--lags` predecessors.
    Dpca,
    /// The default detector: PCA T²/SPE with EWMA, per-channel EWMA, drift-aware inputs and one
    /// limit calibrated on training rows each fold model had not seen: time blocks between the
    /// others, and the rows after a forecast origin (docs/detection.md).
    Default,
    /// Supervised fault classifier: one `--labels` value per `--input` run (0 = normal).
    Classify,
}

/// Control limit kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LimitArg {
    /// F distribution for T², Jackson–Mudholkar for SPE.
    Theoretical,
    /// The `--confidence` quantile of each statistic on the training data.
    Empirical,
}

/// `faultline fit`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  faultline fit --input normal.csv --model line1.flm --time-col ts\n  \
faultline fit --input d00.dat --model tep.flm --method dpca --lags 2\n\n\
Without --method, fit writes the `default` detector (docs/detection.md); --variance, \
--components, --lags, --confidence and --limit apply to --method pca|dpca only.\n\
Inputs: CSV (header row, `,` or `;`), TEP .dat, Parquet; several files are stacked in order."
)]
pub struct FitArgs {
    /// Training files of normal operation (CSV, TEP .dat or Parquet).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub input: Vec<PathBuf>,
    /// Where to write the model file.
    #[arg(long, value_name = "OUT")]
    pub model: PathBuf,
    /// Detector. `default` needs no tuning and takes no PCA options; before it became the
    /// default, `pca` was (pass `--method pca` for exactly that behaviour).
    #[arg(long, value_enum, default_value_t = MethodArg::Default)]
    pub method: MethodArg,
    /// Keep the fewest components explaining this share of the variance (pca/dpca; default
    /// 0.90).
    #[arg(long, value_name = "F", conflicts_with = "components")]
    pub variance: Option<f64>,
    /// Keep exactly this many components instead.
    #[arg(long, value_name = "N")]
    pub components: Option<usize>,
    /// Past samples appended to each sample (dpca only).
    #[arg(long, value_name = "L")]
    pub lags: Option<usize>,
    /// Confidence level of the control limits (pca/dpca; default 0.99).
    #[arg(long, value_name = "C")]
    pub confidence: Option<f64>,
    /// Which control limit raises alarms, both are stored in the model (pca/dpca; default
    /// theoretical).
    #[arg(long, value_enum)]
    pub limit: Option<LimitArg>,
    /// Class label of each `--input` file, comma separated (`--method classify` only).
    #[arg(long, value_name = "K,K", value_delimiter = ',')]
    pub labels: Vec<u32>,
    /// Input options.
    #[command(flatten)]
    pub input_args: InputArgs,
}

/// Output formats of `score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Comma-separated, one header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// `faultline score`.
#[derive(Debug, Args)]
#[command(after_help = "Output columns (csv): index[,time],t2,t2_limit,spe,spe_limit,alarm,\
top1,top1_contribution,top2,top2_contribution,top3,top3_contribution\n\
Contributions are reconstruction-based, divided by each statistic's limit and summed.\n\
A `default` model splits its combined statistic over the same columns: t2 = the larger of its \
smoothed T² and per-channel EWMA branches, spe = its smoothed SPE branches, both against its \
one limit (combined = the larger of the two; docs/detection.md).\n\
--time-col and --exclude default to what the model was fitted with, where the file has \
those columns.")]
pub struct ScoreArgs {
    /// Model file written by `faultline fit`.
    #[arg(long, value_name = "M")]
    pub model: PathBuf,
    /// Data file to score (CSV, TEP .dat or Parquet).
    #[arg(long, value_name = "F")]
    pub input: PathBuf,
    /// Output file (standard output when absent).
    #[arg(long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
    pub format: FormatArg,
    /// Input options.
    #[command(flatten)]
    pub input_args: InputArgs,
}

/// `faultline bench ...`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Tennessee Eastman Process detection protocol (shared/data/tep/PROTOCOL.md); writes tep.csv.
    Tep(BenchTepArgs),
    /// SKAB outlier-detection leaderboard protocol (shared/data/skab/README.md); writes skab.csv.
    Skab(BenchSkabArgs),
    /// Tennessee Eastman fault-classification protocol (PROTOCOL.md); writes tep_classify.csv.
    TepClassify(BenchTepClassifyArgs),
    /// Single-thread scoring rate of the PCA monitor on 52 synthetic channels; writes throughput.csv with --out.
    Throughput(BenchThroughputArgs),
    /// End-to-end samples/s through a local mosquitto with durability on, beside the raw broker
    /// rate, plus arrival-to-alarm latency; writes ingest.csv with --out.
    Ingest(BenchIngestArgs),
}

/// `faultline bench ingest`.
#[derive(Debug, Args)]
pub struct BenchIngestArgs {
    /// Samples to publish.
    #[arg(long, default_value_t = 100_000)]
    pub samples: usize,
    /// Folder for ingest.csv (nothing is written when absent).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `faultline serve`.
#[derive(Debug, Args)]
#[command(after_help = "The configuration is TOML; see docs/config.md. Unknown keys are errors.\n\
The admin bearer token is written once to <data_dir>/admin.token (mode 0600) at first start.")]
pub struct ServeArgs {
    /// Configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// `faultline bench tep`.
#[derive(Debug, Args)]
pub struct BenchTepArgs {
    /// Folder with d00.dat, d00_te.dat and d01_te.dat … d21_te.dat.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Folder for tep.csv (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Also write a self-contained HTML report (control charts, detection rate per fault,
    /// contributions) to this file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// The peers' results in tep.csv columns (bench/peers writes tep_peers.csv), drawn beside
    /// ours in the report.
    #[arg(long, value_name = "FILE.csv", requires = "report")]
    pub peers: Option<PathBuf>,
}

/// `faultline bench skab`.
#[derive(Debug, Args)]
pub struct BenchSkabArgs {
    /// Folder with valve1/, valve2/ and other/ (the SKAB `data/` folder).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Folder for skab.csv (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Also write a self-contained HTML report (score charts per file with the labelled
    /// anomalies, F1/FAR/MAR) to this file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// The peers' results in skab.csv columns (bench/peers writes skab_peers.csv), shown beside
    /// ours in the report.
    #[arg(long, value_name = "FILE.csv", requires = "report")]
    pub peers: Option<PathBuf>,
}

/// `faultline bench tep-classify`.
#[derive(Debug, Args)]
pub struct BenchTepClassifyArgs {
    /// Folder with d00.dat … d21.dat and d00_te.dat … d21_te.dat.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Folder for tep_classify.csv (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Also write a self-contained HTML report (confusion matrix, recall per class) to this
    /// file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// `faultline bench throughput`.
#[derive(Debug, Args)]
pub struct BenchThroughputArgs {
    /// Samples to score in each mode.
    #[arg(long, default_value_t = 2_000_000)]
    pub samples: usize,
    /// Runs of each mode; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Folder for throughput.csv (nothing is written when absent).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `faultline demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Data directory (a temporary folder, removed at exit, when absent).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// HTTP listen address.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Stop after this many seconds (runs until Ctrl-C when absent).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,
    /// Seed of the simulated lines.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Print a detection table for a synthetic plant and exit, without a server.
    #[arg(long)]
    pub offline: bool,
}
