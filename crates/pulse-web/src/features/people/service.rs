//! People logic shared by pages of several features.

use std::collections::HashSet;

use pulse_store::people::{self, Person};

use crate::AppState;
use crate::error::AppResult;

/// The 工号 of those of `shown` the caller may open (one query for the
/// caller's scope): a link to anyone else would answer 404.
pub async fn openable(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    shown: &[&Person],
) -> AppResult<HashSet<String>> {
    let scope = people::scope(&state.db, &caller.viewer()).await?;
    Ok(shown
        .iter()
        .filter(|p| scope.sees(p))
        .map(|p| p.employee_no.clone())
        .collect())
}
