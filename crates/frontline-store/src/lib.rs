//! Storage adapters. One `Store` type serves SQLite and PostgreSQL: queries
//! that are portable are written once and run on either pool through the
//! `with_pool!`/`with_tx!` macros; what differs (full-text search, job
//! claiming, transaction start) is written per engine next to each other.

#[macro_use]
mod db;
#[macro_use]
mod sql;
#[macro_use]
pub mod assignment;
#[macro_use]
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bulk;
pub mod directory;
pub mod escalations;
#[macro_use]
pub mod idempotency;
pub mod jobs;
pub mod mail;
pub mod notifications;
mod pg_batch;
pub mod resets;
pub mod rows;
pub mod rules;
pub mod schema;
pub mod search;
pub mod sla;
pub mod sla_state;
mod sqlite;
pub mod stats;
pub mod throttle;
#[macro_use]
pub mod tickets;
pub mod help;
pub mod users;
pub mod workload;
mod writer;

pub use db::{Engine, Store, StoreError};
pub use rows::*;
pub use sqlite::WAL_TRUNCATE_BYTES;
