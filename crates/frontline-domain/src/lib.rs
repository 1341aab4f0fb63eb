//! The centre of Frontline: ticket rules, roles and permissions, validation.
//! Nothing here does I/O; every rule is unit-tested in this crate.

pub mod assignment;
pub mod attachment;
pub mod audit;
pub mod authz;
pub mod clock;
pub mod error;
pub mod escalation;
pub mod help;
pub mod home;
pub mod mail;
pub mod notification;
pub mod queue;
pub mod rules;
pub mod sla;
pub mod structure;
pub mod throttle;
pub mod ticket;
pub mod tier;
pub mod user;
pub mod validate;
pub mod workload;

pub use error::{DomainError, FieldError};
