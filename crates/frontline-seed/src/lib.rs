//! Generated data for Frontline: the demo data set (`frontline demo`),
//! created through the use cases, the benchmark data set, bulk-loaded
//! through the store, and inbound mail for the mail benchmarks.

mod bench;
mod content;
mod demo;
mod demo_sla;
mod mail;
mod random;

pub use bench::{BENCH_HEAD_EMAIL, BENCH_PASSWORD, BenchSpec, BenchSummary, generate_bench};
pub use demo::{DEMO_ADMIN_EMAIL, DEMO_PASSWORD, DemoLogin, DemoSummary, seed_demo};
pub use mail::{GeneratedMail, MAIL_MANIFEST, MAIL_SUPPORT_ADDRESS, MailManifest, MailOrg, MailSpec, generate_mail, maildir_file_name};
