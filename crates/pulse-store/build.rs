// `sqlx::migrate!` embeds the migration files at compile time; without this
// a newly added migration is not picked up until something else changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
