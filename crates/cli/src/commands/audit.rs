//! `faultline audit verify`: checks the whole audit trail offline (hash chain, consecutive ids,
//! signatures, model links and the anchor file) and names the first bad record. Exit code 0
//! and a summary when intact; 1 and one `faultline: error:` line otherwise. The store is opened
//! read-only: verifying changes nothing (no migration, no anchor).

use anyhow::bail;
use faultline_store::Store;

use super::users::store_target;
use crate::args::StoreArgs;

/// `faultline audit verify`.
pub fn verify(args: &StoreArgs) -> anyhow::Result<()> {
    let (data_dir, _) = store_target(args)?;
    if !data_dir.join(faultline_store::DB_FILE).exists() {
        bail!("{}: no faultline store here (no {})", data_dir.display(), faultline_store::DB_FILE);
    }
    // Read only: verification changes nothing, and works on a copy the auditor may not write.
    let store = Store::open_read_only(&data_dir)?;
    let report = store.audit_report()?;
    match (&report.detail, report.first_bad) {
        (None, _) => {
            let anchored = report.anchored_id.map_or("no records yet".to_string(), |id| {
                format!("anchored at record {id} in {}", faultline_store::ANCHOR_FILE)
            });
            println!(
                "audit trail intact: {} records verified ({anchored}) in {}",
                report.records,
                store.path().display()
            );
            Ok(())
        }
        (Some(detail), Some(id)) => bail!(
            "{}: audit trail damaged: first bad record {id}: {detail} ({} records verified in \
             the hash chain)",
            store.path().display(),
            report.records
        ),
        (Some(detail), None) => {
            bail!("{}: audit trail cannot be trusted: {detail}", store.path().display())
        }
    }
}
