//! `faultline user add NAME --role ROLE`, `faultline user list` and `faultline user passwd
//! NAME`: accounts managed at the machine, where the store is. This is how the first admin is
//! created (there is no default password, and the API's user routes need an admin to call
//! them), and how an admin who lost their password gets back in.
//!
//! The password never appears in argv (where `ps` would show it): it is read from standard
//! input when that is not a terminal (one line, for scripts), else prompted twice without echo.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use faultline_auth::{Role, check_password, check_username, hash_password};
use faultline_pipeline::{Config, SecurityConfig};
use faultline_store::{Event, Store, User};
use faultline_types::Timestamp;

use crate::args::{RoleArg, StoreArgs, UserAddArgs, UserPasswdArgs};

/// The data directory and security settings a command works on.
pub(super) fn store_target(args: &StoreArgs) -> anyhow::Result<(PathBuf, SecurityConfig)> {
    match (&args.data_dir, &args.config) {
        (Some(dir), _) => Ok((dir.clone(), SecurityConfig::default())),
        (None, Some(file)) => {
            let config = Config::load(file)?;
            Ok((config.data_dir, config.security))
        }
        (None, None) => bail!("give --data-dir DIR or --config FILE"),
    }
}

/// Wall-clock now, for audit records.
pub(super) fn now() -> Timestamp {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    Timestamp::from_nanos(i64::try_from(nanos).unwrap_or(i64::MAX))
}

/// The actor of changes made at this machine: `cli:<operating-system user>`.
pub(super) fn actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME"));
    format!("cli:{}", user.unwrap_or_else(|_| "unknown".into()))
}

fn role(arg: RoleArg) -> Role {
    match arg {
        RoleArg::Viewer => Role::Viewer,
        RoleArg::Operator => Role::Operator,
        RoleArg::Engineer => Role::Engineer,
        RoleArg::Admin => Role::Admin,
    }
}

/// `faultline user add`.
pub fn add(args: &UserAddArgs) -> anyhow::Result<()> {
    check_username(&args.name).map_err(anyhow::Error::msg)?;
    let (data_dir, security) = store_target(&args.store)?;
    let role = role(args.role);
    let password = read_password(&args.name)?;
    check_password(&args.name, &password, security.min_password_length)
        .map_err(anyhow::Error::msg)?;
    let hash = hash_password(&password)?;
    let mut store = Store::open(&data_dir)?;
    let at = now();
    let user = User {
        name: args.name.clone(),
        role: role.as_str().into(),
        password_hash: hash,
        disabled: false,
        created_at: at,
    };
    let mut event = Event::new(at, actor(), "user.create", format!("user/{}", args.name));
    event.new_value = Some(role.as_str().into());
    event.reason = Some("faultline user add".into());
    store.add_user(&user, &event).with_context(|| format!("cannot add user {}", args.name))?;
    println!("user {} created with role {role} in {}", args.name, data_dir.display());
    Ok(())
}

/// `faultline user passwd`: a new password set at the machine, as an administrator's reset
/// through the API would (every session of the user ends; API tokens stay).
pub fn passwd(args: &UserPasswdArgs) -> anyhow::Result<()> {
    let (data_dir, security) = store_target(&args.store)?;
    let comment = args.comment.trim();
    if comment.is_empty() {
        bail!("--comment must not be empty: it is the audit record's reason");
    }
    let mut store = existing_store(&data_dir)?;
    if store.user(&args.name)?.is_none() {
        bail!("no user {} in {} (faultline user list shows them)", args.name, data_dir.display());
    }
    let password = read_password(&args.name)?;
    check_password(&args.name, &password, security.min_password_length)
        .map_err(anyhow::Error::msg)?;
    let hash = hash_password(&password)?;
    let mut event =
        Event::new(now(), actor(), "user.password.reset", format!("user/{}", args.name));
    event.new_value = Some("password set at the machine; all sessions ended".into());
    event.reason = Some(comment.to_string());
    store
        .set_password(&args.name, &hash, None, &event)
        .with_context(|| format!("cannot set the password of {}", args.name))?;
    println!(
        "password of {} changed in {}; their sessions have ended",
        args.name,
        data_dir.display()
    );
    Ok(())
}

/// Reads the new password: one line from standard input when it is not a terminal, else two
/// prompts without echo that must agree.
fn read_password(name: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            bail!("no password on standard input: pipe one line, or run on a terminal");
        }
        return Ok(password);
    }
    let first = rpassword::prompt_password(format!("password for {name}: "))
        .context("cannot read the password")?;
    let second =
        rpassword::prompt_password("repeat the password: ").context("cannot read the password")?;
    if first != second {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

/// The store in `data_dir`, which must exist: a mistyped directory is an error here, not a new
/// empty store (only `user add`, which sets up the first administrator, creates one).
fn existing_store(data_dir: &std::path::Path) -> anyhow::Result<Store> {
    if !data_dir.join(faultline_store::DB_FILE).exists() {
        bail!(
            "{}: no faultline store here (no {}); check --data-dir",
            data_dir.display(),
            faultline_store::DB_FILE
        );
    }
    Ok(Store::open(data_dir)?)
}

/// `faultline user list`.
pub fn list(args: &StoreArgs) -> anyhow::Result<()> {
    let (data_dir, _) = store_target(args)?;
    let store = existing_store(&data_dir)?;
    let users = store.users()?;
    if users.is_empty() {
        println!(
            "no users in {} (add one: faultline user add NAME --role admin)",
            data_dir.display()
        );
        return Ok(());
    }
    println!("{:<24} {:<9} status", "user", "role");
    for user in users {
        let status = if user.disabled { "disabled" } else { "active" };
        println!("{:<24} {:<9} {status}", user.name, user.role);
    }
    Ok(())
}

/// The demo's login: creates user `demo-admin` (role admin) with a random password and returns
/// the password, to be printed once; `None` when the user exists already (a reused data
/// directory), whose password was printed at its first start.
pub(super) fn demo_admin(data_dir: &std::path::Path) -> anyhow::Result<Option<String>> {
    const NAME: &str = "demo-admin";
    let mut store = Store::open(data_dir)?;
    if store.user(NAME)?.is_some() {
        return Ok(None);
    }
    // 20 hex characters = 80 random bits: plenty for a demo, short enough to type.
    let password: String = faultline_auth::new_token()?.chars().take(20).collect();
    let at = now();
    let user = User {
        name: NAME.into(),
        role: Role::Admin.as_str().into(),
        password_hash: hash_password(&password)?,
        disabled: false,
        created_at: at,
    };
    let mut event = Event::new(at, "demo", "user.create", format!("user/{NAME}"));
    event.new_value = Some(Role::Admin.as_str().into());
    event.reason = Some("faultline demo: demo administrator with a random password".into());
    store.add_user(&user, &event).context("cannot create the demo administrator")?;
    Ok(Some(password))
}

/// Prints the demo login once (see [`demo_admin`]).
pub(super) fn print_demo_login(password: Option<&str>) {
    match password {
        Some(password) => println!(
            "\nDashboard login: user demo-admin, password {password}\n\
             (random, shown only now; the store keeps only its Argon2id hash)"
        ),
        None => println!(
            "\nDashboard login: user demo-admin (password as printed when this data directory \
             was first used)"
        ),
    }
}
