#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! Integration tests through the public surfaces: HTTP API, HTML pages,
//! CLI and a real browser. Database tests run on SQLite and, when
//! FRONTLINE_TEST_POSTGRES_URL is set (always in CI), on PostgreSQL.

mod api;
mod appends;
mod authz;
mod backup;
mod bad_input;
mod bench;
mod browser;
mod browser_a11y;
mod browser_escalation;
mod browser_workload;
mod cli;
mod clock;
mod durability;
mod escalation;
mod events;
mod fixtures;
mod forms_all_errors;
mod help;
mod idempotency;
mod imap;
mod imap_errors;
mod interface;
mod invitation;
mod jobs;
mod mail;
mod mail_bench;
mod mail_files;
mod mail_in;
mod mail_join;
mod metrics;
mod openapi;
mod page_matrix;
mod password_guesses;
mod process;
mod queue_order;
mod rate_limit;
mod schema;
mod schemathesis;
mod security;
mod sla;
mod sla_pass;
mod storage;
mod system_actor;
mod testkit;
mod throttle_log;
mod tier_queue;
mod tls;
mod ui;
mod views;
mod workload;
mod writes;
