-- The scheduler's candidates: tickets whose near-breach instant came
-- (warnings and near-breach rules) and tickets breached (breach rules),
-- each found from its own index instead of a scan of ticket_sla.
CREATE INDEX ticket_sla_warn ON ticket_sla(warn_at) WHERE warn_at IS NOT NULL;
CREATE INDEX ticket_sla_breached ON ticket_sla(breached_at) WHERE breached_at IS NOT NULL;
