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
    /// Who the link is for, within what the route admits.
    pub audience: Audience,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    /// People who lead others (or oversee them), even where the route
    /// admits everyone: an employee's "team digest" is empty.
    Leads,
    /// Who sits on or runs calibration committees: HR, directors, the
    /// committee role (a member without these reaches sessions from the to-do).
    Committees,
    /// Admins: an open page that is not part of anyone's everyday work
    /// (the API reference, for integrators).
    Admins,
}

const fn item(href: &'static str, label: &'static str, section: &'static str) -> MenuItem {
    MenuItem {
        href,
        label,
        section,
        audience: Audience::Everyone,
    }
}

const fn leads(href: &'static str, label: &'static str, section: &'static str) -> MenuItem {
    MenuItem {
        href,
        label,
        section,
        audience: Audience::Leads,
    }
}

const fn committees(href: &'static str, label: &'static str, section: &'static str) -> MenuItem {
    MenuItem {
        href,
        label,
        section,
        audience: Audience::Committees,
    }
}

const fn admins(href: &'static str, label: &'static str, section: &'static str) -> MenuItem {
    MenuItem {
        href,
        label,
        section,
        audience: Audience::Admins,
    }
}

pub const MENU: &[MenuItem] = &[
    item("/home", "nav.home", "home"),
    item("/inbox", "nav.inbox", "inbox"),
    item("/goals", "nav.goals", "goals"),
    item("/goals/team", "nav.team_goals", "team_goals"),
    item("/feedback", "nav.feedback", "feedback"),
    item("/feedback/team", "nav.team_feedback", "team_feedback"),
    leads("/digests", "nav.digests", "digests"),
    item("/reviews", "nav.reviews", "reviews"),
    item("/reviews/cycles", "nav.review_cycles", "review_cycles"),
    committees("/calibration", "nav.calibration", "calibration"),
    item("/me/outcomes", "nav.outcomes", "outcomes"),
    leads("/linkage", "nav.linkage", "linkage"),
    leads("/health", "nav.health", "health"),
    item("/rewards", "nav.rewards", "rewards"),
    item("/customers", "nav.customers", "customers"),
    item("/goals/rules", "nav.rules", "rules"),
    item("/feedback/setup", "nav.feedback_setup", "feedback_setup"),
    item("/rewards/fulfil", "rewards.fulfil_title", "rewards_fulfil"),
    item("/digests/setup", "nav.digest_setup", "digest_setup"),
    item("/competency", "nav.competency", "competency"),
    item("/goals/setup", "nav.setup", "setup"),
    item("/me", "nav.me", "me"),
    item("/privacy", "nav.privacy", "privacy"),
    item("/org", "nav.org", "org"),
    item("/import", "nav.import", "import"),
    item("/admin/users", "nav.admin", "admin"),
    item("/admin/notifications", "nav.notify", "notify"),
    item("/admin/audit", "nav.audit", "audit"),
    item("/admin/identity", "nav.identity", "admin_identity"),
    admins("/api/docs", "nav.api", "api"),
];

/// Who may call each (method, path) of the route table, read once.
fn route_access() -> &'static HashMap<(&'static str, &'static str), Access> {
    static MAP: OnceLock<HashMap<(&'static str, &'static str), Access>> = OnceLock::new();
    MAP.get_or_init(|| {
        crate::routes::table()
            .into_iter()
            .map(|r| ((r.method, r.path), r.access))
            .collect()
    })
}

/// The route's access rule for `GET path`, if the table has that path.
pub fn access_of(path: &str) -> Option<Access> {
    route_access().get(&("GET", path)).copied()
}

/// Whether the route table lets `caller` call `method path` (a route
/// pattern such as `/feedback/cards/{id}/reply`): pages offer a form only
/// to those its target admits.
pub fn may(caller: &Caller, method: &str, path: &str) -> bool {
    route_access()
        .iter()
        .find(|((m, p), _)| *m == method && *p == path)
        .is_some_and(|(_, a)| a.admits(Some(caller)).is_ok())
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
        .filter(|m| match m.audience {
            Audience::Everyone => true,
            Audience::Leads => leads_people(caller),
            Audience::Committees => [Role::Hrbp, Role::Admin, Role::Director, Role::Committee]
                .into_iter()
                .any(|r| caller.has_role(r)),
            Audience::Admins => caller.has_role(Role::Admin),
        })
        .filter(|m| access_of(m.href).is_some_and(|a| a.admits(Some(caller)).is_ok()))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            account_id: 1,
            person_id: 1,
            login: "x".into(),
            employee_no: "X1".into(),
            name: "测试".into(),
            org_unit_id: 1,
            org_unit_code: "T1".into(),
            org_unit_name: "测试组".into(),
            grants: vec![pulse_domain::roles::Grant {
                role,
                scope: role.default_scope(),
                anchor_unit: None,
            }],
            csrf_token: None,
            token_scopes: None,
        }
    }

    #[test]
    fn a_form_is_offered_only_where_its_route_admits_the_caller() {
        let reply = ("POST", "/feedback/cards/{id}/reply");
        assert!(may(&caller(Role::Manager), reply.0, reply.1));
        assert!(!may(&caller(Role::Committee), reply.0, reply.1));
        assert!(!may(&caller(Role::Employee), reply.0, reply.1));
        assert!(!may(&caller(Role::Manager), "POST", "/no/such/route"));
        let links: Vec<&str> = for_caller(&caller(Role::Employee))
            .iter()
            .map(|m| m.href)
            .collect();
        assert!(
            links.contains(&"/goals") && !links.contains(&"/goals/setup"),
            "{links:?}"
        );
    }

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
