//! STUB of the lead's SLA core (interface only), so this branch compiles
//! until main's "SLA core" commit is merged; the merge takes main's file.

use frontline_domain::authz::Actor;
use frontline_domain::sla::SlaState;

use crate::{App, Result};

#[derive(Debug, Clone)]
pub struct TicketSla {
    pub policy_id: i64,
    pub policy_name: String,
    pub calendar_name: String,
    pub time_zone: String,
    pub state: SlaState,
}

#[derive(Debug, Clone, Copy)]
pub struct SlaPassReport {
    pub recomputed: usize,
    pub more: bool,
}

impl App {
    pub async fn ticket_sla(&self, _actor: &Actor, _ticket_id: i64) -> Result<Option<TicketSla>> {
        Ok(None)
    }

    pub async fn sla_pass(&self, _limit: usize) -> Result<SlaPassReport> {
        Ok(SlaPassReport { recomputed: 0, more: false })
    }
}
