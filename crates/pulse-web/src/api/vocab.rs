//! The closed vocabularies of request fields, as OpenAPI enums.
//!
//! The handlers keep reading these fields as text and answer an unknown value
//! with their own specific `422` code and message (e.g. `invalid_ack`); these
//! types only tell integrators, and the fuzzer, which values exist. Each list
//! is checked against the parser it documents in the tests below.

#![allow(dead_code)]

use utoipa::{PartialSchema, ToSchema};

/// A role (S2).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RoleName {
    Employee,
    Manager,
    Director,
    Hrbp,
    Committee,
    Admin,
}

/// Whose data a grant covers.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ScopeName {
    #[schema(rename = "self")]
    SelfOnly,
    Subtree,
    Org,
}

/// `clear` = 我清楚下一步, `unclear` = 还不清楚.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum AckKind {
    Clear,
    Unclear,
}

/// Who a review cycle covers.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PopulationKind {
    Company,
    Unit,
    JobFamily,
}

/// Where the facilitator moves a calibration session.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum SessionMove {
    PreScoring,
    Live,
    Revealed,
    Finalized,
}

/// A 9-box axis level.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PotentialLevel {
    Low,
    Medium,
    High,
}

/// A department goal's kind (personal KPIs come from templates or imports).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum UnitGoalKind {
    Company,
    Objective,
    KeyResult,
}

/// Whether more of a metric is better.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Direction {
    Higher,
    Lower,
}

/// Where a metric's actuals come from.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum MetricSource {
    Manual,
    Events,
    Import,
    Crm,
}

/// How a radar dimension turns its raw figure into 0–100.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Normalisation {
    Percentile,
    Target,
}

/// A notification channel's kind.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ChannelKind {
    WecomRobot,
    DingtalkRobot,
    FeishuRobot,
    WecomApp,
    Email,
}

/// A person's own delivery channel besides the inbox.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum PersonalChannel {
    WecomApp,
    Email,
}

/// Employment status.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum PersonStatus {
    Active,
    Left,
}

/// What an API token may do.
#[derive(ToSchema)]
pub enum TokenScope {
    #[schema(rename = "people:read")]
    PeopleRead,
    #[schema(rename = "org:read")]
    OrgRead,
    #[schema(rename = "people:write")]
    PeopleWrite,
    #[schema(rename = "goals:read")]
    GoalsRead,
    #[schema(rename = "metrics:write")]
    MetricsWrite,
    #[schema(rename = "crm:write")]
    CrmWrite,
    #[schema(rename = "events:write")]
    EventsWrite,
    /// SCIM 2.0 provisioning at `/scim/v2` (the token's account must be an administrator or HRBP).
    #[schema(rename = "scim")]
    Scim,
}

/// A text-analysis dictionary: domain terms kept whole, or stop words dropped.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum TermKind {
    Domain,
    Stop,
}

/// A decimal value: exact decimal text (`"0.385"`, `"1,200"` also works), or a
/// JSON number, which is taken to 12 decimal places.
pub struct Decimal;

impl utoipa::PartialSchema for Decimal {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^-?([0-9]{1,20}(\.[0-9]{0,12})?|\.[0-9]{1,12})$")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .minimum(Some(-1e18))
                    .maximum(Some(1e18)),
            )
            .into()
    }
}

impl ToSchema for Decimal {}

/// A business event's type (P5).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum EventKind {
    Visit,
    Snapshot,
    WorkOrder,
    ServiceTicket,
    Evaluation,
    Delivery,
}

/// An instant: RFC 3339 text (a time without offset is China time), or
/// milliseconds since the epoch.
pub struct Instant;

impl utoipa::PartialSchema for Instant {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
        };
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
            )
            .into()
    }
}

impl ToSchema for Instant {}

/// A customer: its Pulse id, or its CRM id / name.
pub struct CustomerRef;

impl utoipa::PartialSchema for CustomerRef {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
        };
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(100)),
            )
            .into()
    }
}

impl ToSchema for CustomerRef {}

/// The list of a person's channels: each kind at most once.
pub fn personal_channels() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(PersonalChannel::schema())
        .unique_items(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_domain::roles::{Role, ScopeKind};

    fn values<T: PartialSchema>() -> Vec<String> {
        let json = serde_json::to_value(T::schema()).unwrap();
        json["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("no enum in {json}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    fn same(documented: Vec<String>, served: &[&str]) {
        let mut d = documented;
        let mut s: Vec<String> = served.iter().map(|s| s.to_string()).collect();
        d.sort();
        s.sort();
        assert_eq!(d, s);
    }

    #[test]
    fn each_documented_vocabulary_is_exactly_what_its_parser_takes() {
        same(values::<RoleName>(), &Role::ALL.map(Role::as_str));
        for v in values::<ScopeName>() {
            assert!(ScopeKind::parse(&v).is_ok(), "{v}");
        }
        assert_eq!(values::<ScopeName>().len(), 3);
        same(values::<AckKind>(), &["clear", "unclear"]);
        for v in values::<AckKind>() {
            assert!(pulse_domain::feedback::check_ack(&v).is_ok(), "{v}");
        }
        let unit_kinds: Vec<&str> = pulse_domain::goals::GoalKind::ALL
            .into_iter()
            .filter(|k| !k.is_weighted() || k.as_str() == "key_result")
            .map(|k| k.as_str())
            .collect();
        same(values::<UnitGoalKind>(), &unit_kinds);
        same(
            values::<PersonalChannel>(),
            pulse_domain::preferences::PERSONAL_KINDS,
        );
        same(values::<TokenScope>(), &pulse_store::accounts::TOKEN_SCOPES);
        for v in values::<PersonStatus>() {
            assert!(pulse_domain::org::PersonStatus::parse(&v).is_ok(), "{v}");
        }
        let kinds = pulse_domain::events::EventKind::ALL.map(|k| k.as_str());
        same(values::<EventKind>(), &kinds);
        for v in values::<Normalisation>() {
            assert!(
                pulse_domain::competency::Normalisation::parse(&v, Some(1.0)).is_ok(),
                "{v}"
            );
        }
        same(values::<TermKind>(), &["domain", "stop"]);
        same(
            values::<LinkageAction>(),
            &[
                "join_pool",
                "recommend_course",
                "adjust_bonus",
                "grant_eligibility",
            ],
        );
        for v in values::<LinkageAction>() {
            assert!(
                crate::features::linkage::service::action(&v, "x", "+0.10").is_ok(),
                "{v}"
            );
        }
        same(values::<OutcomeState>(), &["active", "reversed"]);
        for v in values::<AlignmentVerdict>() {
            assert!(pulse_domain::health::Verdict::parse(&v).is_ok(), "{v}");
        }
        for v in values::<LinkageItemKind>() {
            assert!(
                pulse_store::linkage::rules::ItemKind::parse(&v).is_some(),
                "{v}"
            );
        }
        for v in values::<PopulationKind>() {
            let p = pulse_domain::reviews::Population::parse(&v, "x").unwrap();
            assert_eq!(p.kind(), v);
        }
        assert_eq!(values::<PopulationKind>().len(), 3);
        for v in values::<SessionMove>() {
            let s = pulse_domain::calibration::SessionState::from_code(&v).unwrap();
            assert!(s != pulse_domain::calibration::SessionState::Prepared);
        }
        assert_eq!(values::<SessionMove>().len(), 4);
        for v in values::<PotentialLevel>() {
            assert!(pulse_domain::calibration::Level::from_code(&v).is_some());
        }
        same(values::<ChannelKind>(), pulse_jobs::channels::KINDS);
        same(values::<Direction>(), &["higher", "lower"]);
        same(
            values::<MetricSource>(),
            &["manual", "events", "import", "crm"],
        );
    }
}

/// What a linkage rule does (L1).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LinkageAction {
    JoinPool,
    RecommendCourse,
    AdjustBonus,
    GrantEligibility,
}

/// An outcome's state (L4).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum OutcomeState {
    Active,
    Reversed,
}

/// An HRBP's verdict on an alignment claim (H1).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum AlignmentVerdict {
    Agree,
    Disagree,
}

/// What a linkage action may name.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LinkageItemKind {
    Pool,
    Course,
    Eligibility,
}
