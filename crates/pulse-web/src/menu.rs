//! The menu, derived from the route table: a link is shown only to callers
//! whose roles the target route's [`Access`] admits, so no one is offered a
//! page that answers 403. The order and labels are the product's; who sees
//! each link is the route table's.

use std::collections::HashMap;
use std::sync::OnceLock;

use pulse_domain::roles::Role;
use pulse_store::accounts::Caller;

use crate::access::Access;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuItem {
    pub href: &'static str,
    /// UI text key of the label.
    pub label: &'static str,
    /// The page's `section`, marked as current in the menu.
    pub section: &'static str,
    /// Shown only to people who lead others (or oversee them), even where
    /// the route admits everyone: an employee's "team digest" is empty.
    pub leads_only: bool,
}

const fn item(href: &'static str, label: &'static str, section: &'static str) -> MenuItem {
    MenuItem {
        href,
        label,
        section,
        leads_only: false,
    }
}

const fn leads(href: &'static str, label: &'static str, section: &'static str) -> MenuItem {
    MenuItem {
        href,
        label,
        section,
        leads_only: true,
    }
}

pub const MENU: &[MenuItem] = &[
    item("/inbox", "nav.inbox", "inbox"),
    item("/goals", "nav.goals", "goals"),
    item("/goals/team", "nav.team_goals", "team_goals"),
    item("/feedback", "nav.feedback", "feedback"),
    item("/feedback/team", "nav.team_feedback", "team_feedback"),
    leads("/digests", "nav.digests", "digests"),
    item("/rewards", "nav.rewards", "rewards"),
    item("/customers", "nav.customers", "customers"),
    item("/goals/rules", "nav.rules", "rules"),
    item("/feedback/setup", "nav.feedback_setup", "feedback_setup"),
    item("/rewards/fulfil", "rewards.fulfil_title", "rewards_fulfil"),
    item("/digests/setup", "nav.digest_setup", "digest_setup"),
    item("/competency", "nav.competency", "competency"),
    item("/goals/setup", "nav.setup", "setup"),
    item("/me", "nav.me", "me"),
    item("/org", "nav.org", "org"),
    item("/import", "nav.import", "import"),
    item("/admin/users", "nav.admin", "admin"),
    item("/admin/notifications", "nav.notify", "notify"),
    item("/admin/audit", "nav.audit", "audit"),
    item("/api/docs", "nav.api", "api"),
];

/// Who may GET each path of the route table, read once.
fn get_access() -> &'static HashMap<&'static str, Access> {
    static MAP: OnceLock<HashMap<&'static str, Access>> = OnceLock::new();
    MAP.get_or_init(|| {
        crate::routes::table()
            .into_iter()
            .filter(|r| r.method == "GET")
            .map(|r| (r.path, r.access))
            .collect()
    })
}

/// The route's access rule for `GET path`, if the table has that path.
pub fn access_of(path: &str) -> Option<Access> {
    get_access().get(path).copied()
}

/// People who lead or oversee others: team leads, directors, HR, admins.
fn leads_people(c: &Caller) -> bool {
    [Role::Manager, Role::Director, Role::Hrbp, Role::Admin]
        .iter()
        .any(|r| c.has_role(*r))
}

/// The menu links `caller` may open, in menu order.
pub fn for_caller(caller: &Caller) -> Vec<MenuItem> {
    MENU.iter()
        .filter(|m| !m.leads_only || leads_people(caller))
        .filter(|m| access_of(m.href).is_some_and(|a| a.admits(Some(caller)).is_ok()))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_menu_link_is_a_route() {
        for m in MENU {
            assert!(
                access_of(m.href).is_some(),
                "{} is not in the route table",
                m.href
            );
        }
    }
}
