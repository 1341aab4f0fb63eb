//! Generated data for Frontline: the demo data set (`frontline demo`),
//! created through the use cases, and the benchmark data set, bulk-loaded
//! through the store.

mod bench;
mod content;
mod demo;

pub use bench::{BENCH_HEAD_EMAIL, BENCH_PASSWORD, BenchSpec, BenchSummary, generate_bench};
pub use demo::{DEMO_ADMIN_EMAIL, DEMO_PASSWORD, DemoLogin, DemoSummary, seed_demo};
