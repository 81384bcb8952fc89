//! Roles and data scopes (S2).
//!
//! A role says *what* a person may do, a scope says *whose* data they may do it
//! on. Route-level permissions live in the web crate's access table; this module
//! only knows the vocabulary and how grants combine.

use crate::{Lang, Problem};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Employee,
    Manager,
    Director,
    Hrbp,
    Committee,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Employee,
        Role::Manager,
        Role::Director,
        Role::Hrbp,
        Role::Committee,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Manager => "manager",
            Role::Director => "director",
            Role::Hrbp => "hrbp",
            Role::Committee => "committee",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role, Problem> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                Problem::new(
                    "invalid_role",
                    format!("未知角色“{s}”"),
                    format!("unknown role '{s}'"),
                )
            })
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Employee => lang.pick("员工", "Employee"),
            Role::Manager => lang.pick("主管", "Manager"),
            Role::Director => lang.pick("大区总监", "Director"),
            Role::Hrbp => lang.pick("HRBP", "HRBP"),
            Role::Committee => lang.pick("校准委员", "Committee"),
            Role::Admin => lang.pick("系统管理员", "Administrator"),
        }
    }

    /// The scope a role gets when an admin grants it without saying otherwise.
    /// Committee members see no one by role alone: a calibration session
    /// grants them its population, blind, for its duration (C1, C3).
    pub fn default_scope(self) -> ScopeKind {
        match self {
            Role::Employee | Role::Committee => ScopeKind::SelfOnly,
            Role::Manager | Role::Director => ScopeKind::Subtree,
            Role::Hrbp | Role::Admin => ScopeKind::Org,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    #[serde(rename = "self")]
    SelfOnly,
    Subtree,
    Org,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::SelfOnly => "self",
            ScopeKind::Subtree => "subtree",
            ScopeKind::Org => "org",
        }
    }

    pub fn parse(s: &str) -> Result<ScopeKind, Problem> {
        match s.trim() {
            "self" => Ok(ScopeKind::SelfOnly),
            "subtree" => Ok(ScopeKind::Subtree),
            "org" => Ok(ScopeKind::Org),
            other => Err(Problem::new(
                "invalid_scope",
                format!("未知数据范围“{other}”"),
                format!("unknown data scope '{other}'"),
            )),
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ScopeKind::SelfOnly => lang.pick("本人", "Self"),
            ScopeKind::Subtree => lang.pick("本部门及下级", "Subtree"),
            ScopeKind::Org => lang.pick("全公司", "Whole org"),
        }
    }
}

/// One role granted to an account, anchored at an org unit for subtree scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub scope: ScopeKind,
    /// The org unit whose subtree a `Subtree` grant covers.
    pub anchor_unit: Option<i64>,
}

/// What data a caller may see, folded from all their grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    Org,
    /// Their own record plus everyone in the subtrees of these units.
    Units {
        self_person: i64,
        anchors: Vec<i64>,
    },
}

impl Visibility {
    pub fn from_grants(self_person: i64, grants: &[Grant]) -> Visibility {
        if grants.iter().any(|g| g.scope == ScopeKind::Org) {
            return Visibility::Org;
        }
        let mut anchors: Vec<i64> = grants
            .iter()
            .filter(|g| g.scope == ScopeKind::Subtree)
            .filter_map(|g| g.anchor_unit)
            .collect();
        anchors.sort_unstable();
        anchors.dedup();
        Visibility::Units {
            self_person,
            anchors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert_eq!(Role::parse("root").unwrap_err().code, "invalid_role");
    }

    #[test]
    fn org_grant_wins_over_subtree() {
        let grants = vec![
            Grant {
                role: Role::Manager,
                scope: ScopeKind::Subtree,
                anchor_unit: Some(7),
            },
            Grant {
                role: Role::Hrbp,
                scope: ScopeKind::Org,
                anchor_unit: None,
            },
        ];
        assert_eq!(Visibility::from_grants(1, &grants), Visibility::Org);
    }

    #[test]
    fn subtree_anchors_are_deduplicated() {
        let g = |a| Grant {
            role: Role::Manager,
            scope: ScopeKind::Subtree,
            anchor_unit: Some(a),
        };
        let v = Visibility::from_grants(5, &[g(9), g(3), g(9)]);
        assert_eq!(
            v,
            Visibility::Units {
                self_person: 5,
                anchors: vec![3, 9]
            }
        );
        let employee = Grant {
            role: Role::Employee,
            scope: ScopeKind::SelfOnly,
            anchor_unit: None,
        };
        assert_eq!(
            Visibility::from_grants(5, &[employee]),
            Visibility::Units {
                self_person: 5,
                anchors: vec![]
            }
        );
    }
}
