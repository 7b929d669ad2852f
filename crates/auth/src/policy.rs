//! The policy table: which role holds which permission. Routes name a [`Permission`], never a
//! role, so changing who may do what is a change of [`POLICY`] alone.

/// A role. Roles are ordered by what they may do, but the table, not the order, decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Looks at assets, scores, alarms and models.
    Viewer,
    /// A viewer who also handles alarms (acknowledge, shelve, unshelve) and may feed samples.
    Operator,
    /// An operator who also manages models (upload, signed activation) and reads the audit
    /// trail.
    Engineer,
    /// Everything, including users and API tokens.
    Admin,
}

/// Something a request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// Read assets, scores, history, alarms, models, rejects, metrics and the live stream.
    Read,
    /// Send samples to `/api/v1/ingest`.
    Ingest,
    /// Acknowledge, shelve and unshelve alarms.
    AlarmAct,
    /// Upload model versions.
    ModelUpload,
    /// Activate a model version (with an electronic signature).
    ModelActivate,
    /// Read and verify the audit trail.
    AuditRead,
    /// Create users, change roles, disable users, create API tokens.
    UserManage,
}

/// The one policy table: every role with every permission it holds.
pub static POLICY: &[(Role, &[Permission])] = &[
    (Role::Viewer, &[Permission::Read]),
    (Role::Operator, &[Permission::Read, Permission::Ingest, Permission::AlarmAct]),
    (
        Role::Engineer,
        &[
            Permission::Read,
            Permission::Ingest,
            Permission::AlarmAct,
            Permission::ModelUpload,
            Permission::ModelActivate,
            Permission::AuditRead,
        ],
    ),
    (
        Role::Admin,
        &[
            Permission::Read,
            Permission::Ingest,
            Permission::AlarmAct,
            Permission::ModelUpload,
            Permission::ModelActivate,
            Permission::AuditRead,
            Permission::UserManage,
        ],
    ),
];

impl Role {
    /// Every role, least powerful first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Operator, Role::Engineer, Role::Admin];

    /// The name used in the API, the CLI, the store and the docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Engineer => "engineer",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name (exact, lower case).
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The permissions of this role, from [`POLICY`].
    pub fn permissions(self) -> &'static [Permission] {
        POLICY.iter().find(|(role, _)| *role == self).map_or(&[], |(_, perms)| perms)
    }

    /// Whether [`POLICY`] gives this role `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl Permission {
    /// Every permission, in table order.
    pub const ALL: [Permission; 7] = [
        Permission::Read,
        Permission::Ingest,
        Permission::AlarmAct,
        Permission::ModelUpload,
        Permission::ModelActivate,
        Permission::AuditRead,
        Permission::UserManage,
    ];

    /// The name used in the API (`/api/v1/me`) and the docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Ingest => "ingest",
            Permission::AlarmAct => "alarm.act",
            Permission::ModelUpload => "model.upload",
            Permission::ModelActivate => "model.activate",
            Permission::AuditRead => "audit.read",
            Permission::UserManage => "user.manage",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_in_the_table_once_and_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(POLICY.iter().filter(|(r, _)| *r == role).count(), 1, "{role}");
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(POLICY.len(), Role::ALL.len());
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse("root"), None);
    }

    /// The roles × permissions table of docs/security.md, generated from [`POLICY`]: the
    /// document must contain exactly this, so it cannot drift from what the server enforces.
    #[test]
    fn docs_security_md_shows_the_policy_table() {
        let mut table = String::from("| permission |");
        for role in Role::ALL {
            table.push_str(&format!(" {role} |"));
        }
        table.push_str("\n|---|");
        table.push_str(&"---|".repeat(Role::ALL.len()));
        for permission in Permission::ALL {
            table.push_str(&format!("\n| `{}` |", permission.as_str()));
            for role in Role::ALL {
                table.push_str(if role.allows(permission) { " ✓ |" } else { "  |" });
            }
        }
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/security.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let start = doc.find("<!-- policy-table").expect("the policy-table marker");
        let end = doc.find("<!-- end policy-table -->").expect("the end marker");
        let shown = doc[start..end].split_once('\n').map_or("", |(_, rest)| rest).trim_end();
        assert_eq!(shown, table, "docs/security.md must show POLICY exactly");
    }

    #[test]
    fn each_role_holds_what_the_one_below_holds() {
        // Not a rule of the table's shape, but of this product's roles: an admin can do
        // whatever an engineer can, and so on down.
        for pair in Role::ALL.windows(2) {
            for p in pair[0].permissions() {
                assert!(pair[1].allows(*p), "{} lacks {}", pair[1], p.as_str());
            }
        }
        assert!(Role::Admin.permissions().len() == Permission::ALL.len());
        assert!(!Role::Viewer.allows(Permission::AlarmAct));
        assert!(!Role::Operator.allows(Permission::ModelActivate));
        assert!(!Role::Engineer.allows(Permission::UserManage));
    }
}
