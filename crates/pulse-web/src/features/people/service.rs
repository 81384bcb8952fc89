//! People logic shared by pages of several features.

use std::collections::HashSet;

use pulse_store::people;

use crate::AppState;
use crate::error::AppResult;

/// Which of `nos` the caller may open: a link to anyone else would answer 404.
pub async fn openable(
    state: &AppState,
    caller: &pulse_store::accounts::Caller,
    nos: Vec<String>,
) -> AppResult<HashSet<String>> {
    let viewer = caller.viewer();
    let mut out = HashSet::new();
    for no in &nos {
        if !out.contains(no) && people::get_visible(&state.db, &viewer, no).await?.is_some() {
            out.insert(no.clone());
        }
    }
    Ok(out)
}
