//! SCIM's slice of the route table. The routes are OPEN to the access layer
//! because SCIM answers its own protocol: each handler checks the bearer
//! token itself ([`super::service::caller`]) and refuses in SCIM's error shape.

use axum::routing::{delete, get, patch, post, put};

use super::{discovery, groups, users};
use crate::access::Access;
use crate::routes::{Route, r};

pub fn routes() -> Vec<Route> {
    let open = Access::OPEN;
    vec![
        r("GET", "/scim/v2/Users", open, get(users::list)),
        r("POST", "/scim/v2/Users", open, post(users::create)),
        r("GET", "/scim/v2/Users/{id}", open, get(users::get)),
        r("PUT", "/scim/v2/Users/{id}", open, put(users::replace)),
        r("PATCH", "/scim/v2/Users/{id}", open, patch(users::patch)),
        r("DELETE", "/scim/v2/Users/{id}", open, delete(users::delete)),
        r("GET", "/scim/v2/Groups", open, get(groups::list)),
        r("POST", "/scim/v2/Groups", open, post(groups::create)),
        r("GET", "/scim/v2/Groups/{id}", open, get(groups::get)),
        r("PUT", "/scim/v2/Groups/{id}", open, put(groups::replace)),
        r("PATCH", "/scim/v2/Groups/{id}", open, patch(groups::patch)),
        r(
            "DELETE",
            "/scim/v2/Groups/{id}",
            open,
            delete(groups::delete),
        ),
        r(
            "GET",
            "/scim/v2/ServiceProviderConfig",
            open,
            get(discovery::config),
        ),
        r("GET", "/scim/v2/ResourceTypes", open, get(discovery::types)),
        r(
            "GET",
            "/scim/v2/ResourceTypes/{id}",
            open,
            get(discovery::type_one),
        ),
        r(
            "GET",
            "/scim/v2/Schemas",
            open,
            get(discovery::schemas_list),
        ),
        r(
            "GET",
            "/scim/v2/Schemas/{id}",
            open,
            get(discovery::schema_one),
        ),
    ]
}
