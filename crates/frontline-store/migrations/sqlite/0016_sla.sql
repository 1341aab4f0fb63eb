-- SLAs on business hours (issue 9): business-hours calendars, support
-- plans (organizations may have one), and SLA policies in the admin's order.
--
-- Weekly hours, holidays, conditions, targets and step shares are JSON text:
-- the store writes them only from values the domain checked
-- (frontline-domain::sla) and checks them again when it reads them; no SQL
-- looks inside. Each row carries a version so that an admin's edit made
-- from an older form is refused (409) instead of overwriting.

CREATE TABLE business_calendars (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    hours TEXT NOT NULL,
    holidays TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE support_plans (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX support_plans_order ON support_plans(position, id);

-- No ON DELETE: a plan still given to organizations is not deleted.
ALTER TABLE organizations ADD COLUMN support_plan_id INTEGER REFERENCES support_plans(id);
CREATE INDEX organizations_support_plan ON organizations(support_plan_id);

CREATE TABLE sla_policies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL,
    calendar_id INTEGER NOT NULL REFERENCES business_calendars(id),
    conditions TEXT NOT NULL DEFAULT '[]',
    targets TEXT NOT NULL DEFAULT '{}',
    step_shares TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX sla_policies_order ON sla_policies(position, id);
CREATE INDEX sla_policies_calendar ON sla_policies(calendar_id);
