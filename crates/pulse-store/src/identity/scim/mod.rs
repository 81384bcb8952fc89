//! SCIM users onto people (+ their account) and groups onto org units.
//!
//! A user's `id` is the person's id, `userName` the account's login (a person
//! without an account shows their 工号). Writes go through the same upsert as
//! the roster import, so the manager-cycle rule and the audit trail hold; the
//! account follows: created with the employee role and a password nobody
//! knows, renamed with `userName`, disabled with every session and token
//! ended when `active` turns false. A group's members are the people whose
//! unit it is: adding a member moves them in; removing one moves them up to
//! the parent unit (a directory's "regroup" is an add here and a remove
//! there, in either order).
mod groups;
mod users;

pub use groups::{GroupRow, GroupWithMembers, delete_group, group, groups, write_group};
pub use users::{UserRow, user, users, write_user};

use pulse_domain::Problem;

use crate::{StoreError, Tx};

/// Problem codes the SCIM layer maps onto `scimType`s.
pub const UNIQUENESS: &str = "scim_uniqueness";
pub const MUTABILITY: &str = "scim_mutability";
pub const INVALID_VALUE: &str = "scim_invalid_value";

fn problem(code: &'static str, en: String) -> StoreError {
    StoreError::Invalid(Problem::new(code, en.clone(), en))
}

/// The filter attributes users support.
pub const USER_FILTERS: &[&str] = &[
    "username",
    "externalid",
    "id",
    "emails.value",
    "enterprise.employeenumber",
];
pub const GROUP_FILTERS: &[&str] = &["displayname", "externalid", "id"];

async fn root_unit(tx: &mut Tx) -> Result<i64, StoreError> {
    let root: Option<(i64,)> = on_tx!(tx, conn => {
        sqlx::query_as("SELECT id FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(conn).await?
    });
    root.map(|(id,)| id).ok_or_else(|| {
        problem(
            INVALID_VALUE,
            "create the org's top unit before provisioning people".into(),
        )
    })
}
