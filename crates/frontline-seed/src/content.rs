//! The words of the generated tickets: integration-support topics with
//! subject and message templates, and the generic steps of a conversation
//! (acknowledge, escalate, put on hold, close). Templates carry `{name}`
//! placeholders filled per ticket from [`Vars`], so one ticket's messages
//! agree with each other (same request id, same field, same release).

use std::fmt::Write;

use frontline_domain::ticket::{Priority, TicketType};

/// The three demo teams; topics route to one of them.
pub const TEAM_NAMES: [(&str, &str); 3] = [
    ("Integrations", "Webhooks, event ingest, API tokens, rate limits and schemas: everything customers build against us."),
    ("Platform", "SSO and SCIM, imports and exports, reporting, time zones and network access."),
    ("Billing & Accounts", "Plans, seats, invoices, usage and account ownership."),
];
pub const INTEGRATIONS: usize = 0;
pub const PLATFORM: usize = 1;
pub const BILLING: usize = 2;

pub struct Topic {
    pub team: usize,
    pub tags: &'static [&'static str],
    pub types: &'static [TicketType],
    /// 0 routine, 1 normal, 2 business-critical (outages, lock-outs).
    pub urgency: u8,
    /// Raised by the customer's platform admin rather than a data engineer.
    pub admin_topic: bool,
    /// Comes up while a Solutions Engineer onboards the account.
    pub onboarding: bool,
    pub subjects: &'static [&'static str],
    /// The customer's first message.
    pub openings: &'static [&'static str],
    /// The agent asks for what they need to investigate.
    pub asks: &'static [&'static str],
    /// The customer's answer with details.
    pub details: &'static [&'static str],
    /// Internal analysis notes.
    pub notes: &'static [&'static str],
    /// The agent's resolution reply.
    pub fixes: &'static [&'static str],
    /// Engineering's internal note once it is escalated to them.
    pub engineering: &'static [&'static str],
}

impl Topic {
    pub fn priority_weights(&self) -> [(Priority, u32); 4] {
        match self.urgency {
            2 => [(Priority::Urgent, 20), (Priority::High, 45), (Priority::Normal, 30), (Priority::Low, 5)],
            1 => [(Priority::Urgent, 4), (Priority::High, 24), (Priority::Normal, 57), (Priority::Low, 15)],
            _ => [(Priority::Urgent, 0), (Priority::High, 8), (Priority::Normal, 57), (Priority::Low, 35)],
        }
    }
}

/// Per-ticket values for the placeholders. Derived values (request id,
/// field name, release, ...) come from `seed`, so they stay the same in
/// every message of the ticket.
pub struct Vars<'a> {
    pub customer: &'a str,
    pub agent: &'a str,
    pub senior: &'a str,
    pub head: &'a str,
    pub org: &'a str,
    pub domain: &'a str,
    pub seed: u64,
}

const EVENTS: &[&str] = &[
    "order.created",
    "order.updated",
    "shipment.updated",
    "invoice.paid",
    "customer.updated",
    "booking.confirmed",
    "inventory.adjusted",
    "refund.issued",
];
const FIELDS: &[&str] =
    &["order_total", "shipped_at", "customer_id", "line_items[].sku", "currency", "booking_ref", "discount_amount", "warehouse_code"];
const ENDPOINTS: &[&str] = &["/v2/events", "/v2/orders/bulk", "/v2/customers", "/v2/shipments", "/v2/imports", "/v2/events/batch"];
const IDPS: &[&str] = &["Okta", "Microsoft Entra ID", "OneLogin", "Google Workspace", "Ping Identity", "JumpCloud"];
const TZS: &[&str] = &["America/Chicago", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "America/New_York", "Europe/London"];
const WEEKDAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl Vars<'_> {
    fn bits(&self, shift: u32, modulo: u64) -> u64 {
        // Mix the seed so that neighbouring bit ranges are independent.
        let x = self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(shift);
        (x ^ (x >> 29)) % modulo.max(1)
    }

    fn pick(&self, list: &[&'static str], shift: u32) -> &'static str {
        list.get(self.bits(shift, list.len() as u64) as usize).copied().unwrap_or_default()
    }

    /// Append the value of `key`; false when the key is unknown.
    fn write(&self, key: &str, out: &mut String) -> bool {
        let _ = match key {
            "customer" => write!(out, "{}", self.customer),
            "agent" => write!(out, "{}", self.agent),
            "senior" => write!(out, "{}", self.senior),
            "head" => write!(out, "{}", self.head),
            "org" => write!(out, "{}", self.org),
            "domain" => write!(out, "{}", self.domain),
            "event" => write!(out, "{}", self.pick(EVENTS, 3)),
            "field" => write!(out, "{}", self.pick(FIELDS, 7)),
            "endpoint" => write!(out, "{}", self.pick(ENDPOINTS, 11)),
            "idp" => write!(out, "{}", self.pick(IDPS, 13)),
            "tz" => write!(out, "{}", self.pick(TZS, 17)),
            "weekday" => write!(out, "{}", self.pick(WEEKDAYS, 19)),
            "n" => write!(out, "{}", 2 + self.bits(23, 28)),
            "count" => write!(out, "{}", 120 + self.bits(29, 9_000)),
            "row" => write!(out, "{}", 2 + self.bits(31, 4_000)),
            "limit" => write!(out, "{}", 300 + 60 * self.bits(37, 20)),
            "eng" => write!(out, "ENG-{}", 1_000 + self.bits(41, 8_000)),
            "version" => write!(out, "4.{}.{}", 12 + self.bits(43, 9), self.bits(47, 8)),
            "req" => write!(out, "req_{:010x}", self.bits(53, 1 << 40)),
            "time" => write!(out, "{:02}:{:02}", self.bits(57, 24), self.bits(59, 60)),
            "date" => write!(out, "{} {}", self.pick(MONTHS, 61), 1 + self.bits(5, 28)),
            _ => return false,
        };
        true
    }
}

/// Fill a template's `{name}` placeholders; unknown names stay as written.
pub fn render(template: &str, vars: &Vars<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if end <= 16 && vars.write(&after[..end], &mut out) => rest = &after[end + 1..],
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------
// Generic conversation steps.

pub const ACKS: &[&str] = &[
    "Hi {customer},\n\nThanks for the report. I'm {agent} and I'll own this ticket. I can see the same errors for {org} in our logs, so I'm starting from there and will update you later today.",
    "Hi {customer},\n\nThanks for the detailed write-up, that helps a lot. I'm looking into it now and will get back to you with findings within a few hours.",
    "Hello {customer},\n\n{agent} from Frontline Support here. I've picked this up and I'm reproducing it on a test tenant configured like {org}'s. I'll keep you posted.",
];

pub const EXTRA_ASKS: &[&str] = &[
    "Thanks {customer}, that's useful. One more thing: could you send the exact time (with time zone) of the most recent failure? Our logs are kept per hour and I want to look at the right window.",
    "Thanks! Could you also tell me whether this affects every environment or only production? If your staging system shows the same behaviour, that rules out a few causes.",
    "Got it, thanks. Has anything changed on your side in the last week (deploys, library upgrades, proxy or firewall rules)? Even unrelated-looking changes help.",
];

/// The answers to [`EXTRA_ASKS`], index by index.
pub const EXTRA_DETAILS: &[&str] = &[
    "The last failure was at {time} UTC today, request id {req}.",
    "Only production. Staging works fine, but it also gets far less traffic.",
    "We deployed a new version of our integration service on {weekday}, but the changelog doesn't mention anything related. Upgraded a few libraries, though.",
];

pub const NUDGES: &[&str] = &[
    "Hi {agent}, any news on this? We're still seeing it in production.",
    "Following up on this one: it is blocking our go-live, which is planned for next {weekday}. Could you give us an ETA?",
    "Quick update from our side: it happened again this morning around {time} UTC ({count} records affected). Is there anything we can do in the meantime?",
    "Hi, just checking in. Our operations team is asking for a status update on this.",
];

pub const THANKS: &[&str] = &[
    "That did it, thank you {agent}! Everything is flowing again.",
    "Confirmed on our side, the last {count} events went through without errors. Thanks for the quick help.",
    "Works now. Thanks for explaining the cause, we've added it to our runbook.",
];

pub const CONFIRM_SOLVED: &[&str] = &[
    "Great to hear, {customer}! I'll mark this as solved. If anything comes back, just reply here and the ticket reopens.",
    "Thanks for confirming. Marking this solved; reply any time if you see it again.",
];

pub const PENDING: &[&str] = &[
    "Hi {customer},\n\nThe change is live on our side. Could you retry and let me know whether it works for you? I'll keep the ticket pending until we hear from you.",
    "Hi {customer},\n\nWhenever you've had a chance to try the steps above, reply here with the outcome (and the request id if it still fails). The ticket stays pending in the meantime.",
    "Hi {customer},\n\nI've prepared the change for {org} but need your go-ahead before applying it, since it affects production. Reply 'go ahead' and I'll apply it right away.",
];

pub const HOLD_ENGINEERING: &[&str] = &[
    "Hi {customer},\n\nOur engineering team has confirmed the issue and is tracking it as {eng}. I'm putting this ticket on hold while the fix is prepared; you'll get an update here as soon as it is scheduled for a release. The workaround above stays valid in the meantime.",
    "Hi {customer},\n\nQuick status update: engineering is working on the fix ({eng}), currently planned for release {version}. I've put the ticket on hold so you're not chased for information; I'll post here when it ships.",
];

pub const HOLD_THIRD_PARTY: &[&str] = &[
    "Hi {customer},\n\nI'm putting this ticket on hold until your IT team has made the change on the {idp} side; nothing else is needed from us until then. Reply here when it's done and the ticket reopens.",
    "Hi {customer},\n\nAs discussed, we'll wait for your security team's approval of the new allowlist entries. I've put the ticket on hold; just reply when they've signed off and I'll continue.",
];

pub const ESCALATE_T2: &[&str] = &[
    "Escalating to tier 2. Reproduced with the customer's payload on a test tenant, but I can't see why it fails from the support tooling. Request id {req}. @{senior} can you take this one?",
    "Escalating to tier 2: the customer has followed the documented steps twice and it still fails. Timeline and logs are above. {senior}, over to you.",
    "Needs a senior: the customer is getting frustrated (third follow-up) and this is beyond the standard runbook. Handing over to {senior}.",
];

pub const ESCALATE_T2_BILLING: &[&str] = &[
    "Escalating to tier 2: this needs someone who can approve a credit or a contract change. {senior}, can you take it from here?",
    "Needs a senior: the customer is unhappy about the charges and asked to speak to someone senior. Handing over to {senior}.",
];

pub const SENIOR_TAKEOVER: &[&str] = &[
    "Hi {customer},\n\nI'm {senior}, a senior specialist on the team, and I've taken over this ticket from {agent} to dig deeper. I've gone through everything above, so there's no need to repeat anything. I'll update you by end of day.",
    "Hi {customer},\n\n{senior} here; I'm taking this over from {agent}. I've looked at the logs for {org} and have a theory I'm verifying now. More soon.",
];

pub const ESCALATE_HEAD: &[&str] = &[
    "Escalating to {head}: {org} is an enterprise account and this blocks their rollout. We need a priority call with engineering; the workaround isn't acceptable to them long-term.",
    "{head}, flagging this one: it's the second report of the same behaviour this week. Looks like a product defect rather than configuration. Can you raise it at the engineering sync?",
];

pub const ESCALATE_ENGINEERING: &[&str] = &[
    "Escalated to Engineering as {eng}. The reproduction is attached there: payload, request id {req}, expected vs actual. Engineering will give a timeline at Thursday's triage; I'll keep the customer updated.",
    "Raised with engineering leadership and filed {eng} with a minimal reproduction. Agreed priority: next patch release. Keep the ticket on hold and link any similar reports to {eng}.",
];

pub const ENGINEERING_GENERIC: &[&str] = &[
    "Engineering: confirmed. Root cause found; the fix is in review and targeted for release {version}. The workaround in this ticket is safe to keep using until then.",
    "Engineering: reproduced with the attached payload. Not a configuration issue on the customer's side. Fix scheduled for {version}; we'll backfill affected records after the deploy.",
];

pub const MANAGER_NOTES: &[&str] = &[
    "SLA check: this one is at risk of breaching the resolution target. Please post an update to the customer today, even if there's no fix yet.",
    "Heads-up: {org} raised this in their account review as well. Keep the updates frequent; I'll mention it in the weekly meeting.",
];

pub const SE_NOTES: &[&str] = &[
    "Onboarding context from Solutions Engineering: {org} is mid-onboarding (sandbox done, production go-live scheduled for {weekday}). Their integration follows the standard order-events template with two custom fields.",
    "SE note: I walked {customer} through the integration template last week. They skipped payload validation before go-live, which would have caught this early.",
];

pub const CLOSE_NOTES: &[&str] = &[
    "Closing: solved 4 days ago with no further questions from the customer.",
    "Closing after the customer's confirmation. Resolution steps added to the knowledge base draft.",
    "Closing. No response after the fix; monitoring for {org} shows no new errors since.",
];

pub const NEW_FOLLOW_UPS: &[&str] = &[
    "Adding to my earlier message: it also happens for a second integration we run, so it doesn't seem specific to one endpoint.",
    "One more detail: we first noticed it at {time} UTC.",
];

// ---------------------------------------------------------------------------
// Topics.

pub static TOPICS: &[Topic] = &[
    Topic {
        team: INTEGRATIONS,
        tags: &["webhooks", "signature"],
        types: &[TicketType::Incident, TicketType::Incident, TicketType::Problem, TicketType::Question],
        urgency: 1,
        admin_topic: false,
        onboarding: false,
        subjects: &[
            "Webhook signature verification failing for {event} deliveries",
            "All webhooks rejected with 'invalid signature' since this morning",
            "HMAC mismatch on webhook payloads after rotating the signing secret",
            "webhook-signature header doesn't validate with the sample code",
        ],
        openings: &[
            "Hi,\n\nSince about {time} UTC our endpoint rejects every {event} webhook because the signature check fails. We verify the webhook-signature header with the signing secret from the dashboard, following the Standard Webhooks spec. Nothing changed on our side as far as we know. The delivery log shows {count} failed attempts.\n\nCan you check whether the secret on your side changed?\n\n{customer}",
            "Hello,\n\nWe rotated the webhook signing secret yesterday and since then roughly half of the deliveries fail verification on our side. It looks like some deliveries are still signed with the old secret. Is there an overlap window during rotation?\n\nThanks,\n{customer}",
            "Hi team,\n\nOur verification code (Node, using the raw body) works for your test events but fails for real {event} deliveries. The computed HMAC never matches. Example message id: msg_{req}.\n\nRegards,\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nThanks for the report. To narrow this down, could you send:\n\n1. The webhook-id and webhook-timestamp headers of one failed delivery\n2. How your endpoint reads the body before verifying (raw bytes or parsed JSON)\n3. Whether a proxy or API gateway sits in front of the endpoint\n\nThe most common cause is the body being re-serialized before the signature is computed.",
            "Hi {customer},\n\nCould you check which secret your endpoint uses (the dashboard shows the first characters, whsec_...) and send me the message id of a failed delivery? I'll compare it with what we signed on our side.",
        ],
        details: &[
            "Here you go: webhook-id msg_{req}, timestamp {time} UTC. We do have an API gateway in front of the endpoint, and it pretty-prints JSON bodies for logging. Could that be it?",
            "We read the raw body, no parsing before verification. The secret starts with whsec_Mf. The failed message id is msg_{req}.",
        ],
        notes: &[
            "Checked the delivery log: deliveries are signed with the current secret (rotated {n} hours ago). The customer's gateway re-serializes the JSON, which changes whitespace and key order, so their HMAC is computed over different bytes.",
            "The signing secret for {org} was rotated without the 24h overlap; the old secret expired immediately, which explains the mixed results. Their endpoint caches the secret for {n} minutes.",
        ],
        fixes: &[
            "Hi {customer},\n\nFound it: the API gateway in front of your endpoint re-formats the JSON before it reaches your code, so the signature is computed over different bytes than we signed. Verify against the raw request body (or disable body transformation on that route) and the check will pass. I've re-queued the {count} failed deliveries from the last 24 hours; they'll arrive within the hour.",
            "Hi {customer},\n\nDuring rotation we sign with both the old and the new secret for 24 hours (the header then carries two signatures, space-separated). Your verifier only looked at the first one. Accept the delivery if any of the signatures matches and rotation won't interrupt deliveries again. I've replayed the failed deliveries.",
        ],
        engineering: &[
            "Engineering: the rotation endpoint skipped the overlap window when called through the API instead of the dashboard. Fix in {version}; affected tenants are listed in {eng}.",
        ],
    },
    Topic {
        team: PLATFORM,
        tags: &["sso", "saml"],
        types: &[TicketType::Incident, TicketType::Incident, TicketType::Question],
        urgency: 2,
        admin_topic: true,
        onboarding: false,
        subjects: &[
            "SSO login fails with 'SAML response not valid yet'",
            "Users can't sign in via {idp} after certificate rotation",
            "SAML audience mismatch error for our new subdomain",
            "SSO: some users land on an error page after the {idp} redirect",
        ],
        openings: &[
            "Hi,\n\nSince this morning none of our users can sign in via SSO. After authenticating at {idp} they come back to an error page: 'SAML response not valid yet'. This affects about {count} users, and password login is disabled for our tenant, so people are locked out.\n\nPlease treat this as urgent.\n{customer}",
            "Hello,\n\nWe rotated the signing certificate in {idp} last night and uploaded the new one in the Frontline admin settings. Now SSO fails for everyone with a signature validation error. We can't roll back because the old certificate expired.\n\n{customer}",
            "Hi,\n\nWe moved to a new subdomain and now SSO fails with 'Audience restriction not met'. Which entity ID should we configure in {idp}?\n\nThanks, {customer}",
        ],
        asks: &[
            "Hi {customer},\n\nSorry about the lock-out, I'm on it. Could you capture a SAML trace of one failed attempt (the SAML-tracer browser extension works well) and attach it here? If you run the IdP on your own servers, please also check their time synchronisation.",
            "Hi {customer},\n\nCould you send the metadata XML currently configured in {idp} and a screenshot of the SSO settings page on our side? I want to compare the certificate fingerprints.",
        ],
        details: &[
            "Trace attached. The IssueInstant in the response is {n} minutes ahead of the time in our server logs, if that's helpful.",
            "Metadata attached. The fingerprint on your settings page ends in ...{n}F, the one in {idp} ends in ...A{n}.",
        ],
        notes: &[
            "SAML trace shows IssueInstant {n} minutes in the future. Our allowed clock skew is 3 minutes. The customer's IdP host clock is drifting.",
            "The certificate on our side is still the old one: the settings form silently kept the previous certificate because the new PEM had Windows line endings.",
        ],
        fixes: &[
            "Hi {customer},\n\nThe SAML trace shows your IdP's clock running about {n} minutes fast, so its responses look like they come from the future and we reject them. Please resync the IdP host with NTP; logins work immediately after. I've temporarily raised the allowed skew for {org} to 10 minutes so your users can sign in now.",
            "Hi {customer},\n\nThe certificate stored on our side was still the old one (the upload didn't take because of the file's line endings). I've installed the new certificate from your metadata and verified a test login. Your users can sign in again; please confirm on your side.",
        ],
        engineering: &[
            "Engineering: the PEM parser rejects CRLF line endings and the settings form swallowed the error. Fix plus a visible validation error ships in {version}.",
        ],
    },
    Topic {
        team: INTEGRATIONS,
        tags: &["event-ingest", "schema"],
        types: &[TicketType::Incident, TicketType::Problem, TicketType::Question],
        urgency: 1,
        admin_topic: false,
        onboarding: true,
        subjects: &[
            "Event ingest rejects {event} with 422 schema mismatch",
            "'{field}' type mismatch after our schema update",
            "Schema validation errors since we added a field to {event}",
            "422 Unprocessable Entity on {endpoint} for about {n}% of events",
        ],
        openings: &[
            "Hi,\n\nSince our deploy yesterday, about {n}% of our {event} events are rejected by {endpoint} with HTTP 422 and 'schema_mismatch: field {field} expected number, got string'. We didn't change that field intentionally. Sample request id: {req}.\n\n{customer}",
            "Hello,\n\nWe added an optional field to {event} (and declared it in the integration's schema), and since then the ingest API rejects events that include it. Events without the new field go through. Is there a delay before schema changes take effect?\n\nBest,\n{customer}",
            "Hi support,\n\nOur pipeline reports {count} rejected events overnight, all {event}, all with schema_mismatch. The error message doesn't say which record caused it. Can you help us find the offending payloads?\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nThanks. Could you send one full rejected payload (with personal data masked) and the schema version your integration declares? You'll find it under Integrations > {org} > Schema.",
            "Hi {customer},\n\nI can see the rejections on our side. Which library serializes the events? Some serializers turn decimals into strings by default, which would explain 'expected number, got string' for {field}.",
        ],
        details: &[
            "Payload attached (masked). Our schema is version {n}. We serialize with a Python decimal encoder, so {field} is now sent as \"129.90\" instead of 129.9; that changed with a library upgrade on our side.",
            "We're on schema version {n}. The new field is declared as an optional string. Sample request id {req}.",
        ],
        notes: &[
            "Their serializer started emitting decimals as strings after a library upgrade, and our validation is strict on type. Options: the customer fixes the serializer, or we enable lenient numeric coercion for {org}.",
            "The ingest workers cache schemas for 15 minutes; the customer published schema v{n} but the workers validated against the cached previous version. Events rejected in that window can be replayed.",
        ],
        fixes: &[
            "Hi {customer},\n\nThe rejections come from {field} arriving as a string (\"129.90\") instead of a number since your library upgrade. Two options: configure the encoder to emit numbers, or declare {field} as a decimal string in your schema. Rejected events are kept for 7 days, so once that's fixed you can replay them from Integrations > Failed events.",
            "Hi {customer},\n\nSchema changes reach the ingest workers within 15 minutes; events sent in that window were validated against the previous version and rejected. I've replayed the {count} rejected events for {org} and they've all been accepted. No action needed on your side.",
        ],
        engineering: &[
            "Engineering: confirmed the schema cache isn't invalidated on publish. Fix (invalidate on publish, and the error names the schema version) targeted for {version}.",
        ],
    },
    Topic {
        team: INTEGRATIONS,
        tags: &["api", "rate-limit"],
        types: &[TicketType::Question, TicketType::Incident],
        urgency: 1,
        admin_topic: false,
        onboarding: false,
        subjects: &[
            "Getting 429 Too Many Requests during the nightly sync",
            "Rate limit too low for a backfill of {count} records",
            "429s on {endpoint} although we stay under the documented limit",
            "Retry-After header missing on 429 responses",
        ],
        openings: &[
            "Hi,\n\nOur nightly sync job started failing with HTTP 429 on {endpoint}. We send about {limit} requests per minute, which should be under the limit for our plan according to the docs. Retries make it worse. Request id of one failure: {req}.\n\n{customer}",
            "Hello,\n\nWe need to backfill {count} historical records for {org} before go-live. At the current rate limit that would take days. Can the limit be raised temporarily, or is there a bulk endpoint we should use instead?\n\n{customer}",
            "Hi,\n\nSome 429 responses come without a Retry-After header, so our client falls back to its default and retries immediately. Is that expected?\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nThe limit applies per token and per minute, with a burst allowance. How many workers does your sync run in parallel, and do they share one API token?",
            "Hi {customer},\n\nHappy to help with the backfill. What's the target date, and roughly how large is each record? That tells me whether the bulk import endpoint or a temporary increase fits better.",
        ],
        details: &[
            "We run {n} workers in parallel, all with the same token. Each one does its own backoff.",
            "The target is next {weekday}. Records are small, around 2 KB each.",
        ],
        notes: &[
            "The token for {org} shows bursts of about {limit} requests in the first 10 seconds of each minute (all workers start on the minute). The sliding window is hit by the burst, not by the average.",
            "A backfill of {count} records fits the bulk endpoint (10k records per request). No limit increase needed.",
        ],
        fixes: &[
            "Hi {customer},\n\nYour {n} workers all start at the top of the minute, so their combined burst exceeds the per-token limit even though the average is fine. Add some jitter to the start times (or split the work over two tokens) and honour Retry-After with exponential backoff. With that change the sync should complete without 429s.",
            "Hi {customer},\n\nFor a backfill of that size please use the bulk import endpoint (POST /v2/imports, up to 10,000 records per request). It isn't subject to the per-minute limit and will load your {count} records in well under an hour.",
        ],
        engineering: &["Engineering: 429s returned by the edge layer (not the API) don't set Retry-After. Adding it in {version}."],
    },
    Topic {
        team: PLATFORM,
        tags: &["csv-import"],
        types: &[TicketType::Question, TicketType::Incident, TicketType::Task],
        urgency: 0,
        admin_topic: false,
        onboarding: true,
        subjects: &[
            "CSV import fails at row {row}: invalid date",
            "Import stuck at 'processing' for our customer list",
            "CSV import shows garbled characters in names",
            "Bulk CSV import rejects a file with semicolon delimiters",
        ],
        openings: &[
            "Hi,\n\nOur CSV import of {count} contacts fails with 'invalid date at row {row}, column signup_date'. The row looks fine to us. The whole import is rolled back each time.\n\n{customer}",
            "Hello,\n\nWe uploaded a CSV file about {n} hours ago and the import still shows 'processing'. It's {count} rows, about 4 MB. Should we cancel and retry?\n\n{customer}",
            "Hi,\n\nAfter importing our customer list, names with accents show up garbled, like 'MÃ¼ller' instead of 'Müller'. The file was exported from Excel.\n\nThanks,\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nCould you attach the file (or the first 20 rows plus row {row}) and tell me which program exported it? Date formats and encodings differ a lot between Excel versions and locales.",
            "Hi {customer},\n\nCould you send me the import id from the Imports page? I'll check what the job is doing.",
        ],
        details: &[
            "The first 20 rows and row {row} are attached. Exported from Excel with a German locale.",
            "The import id is imp_{req}. Exported from Excel on Windows.",
        ],
        notes: &[
            "Row {row} has 13/04/2024, so dates are day-first. The importer guessed month-first from the earlier (ambiguous) rows and fails at the first unambiguous one.",
            "The file is Windows-1252 encoded, not UTF-8. The importer assumed UTF-8.",
            "The import job was queued behind a large import of another tenant (the queue is shared). It's running now.",
        ],
        fixes: &[
            "Hi {customer},\n\nThe dates in your file are day-first (13/04/2024), but the importer guessed month-first from the first rows, where both readings are possible. Choose DD/MM/YYYY explicitly in the import dialog and the file goes through; I ran it that way on a copy and all {count} rows were accepted.",
            "Hi {customer},\n\nThe file is saved as Windows-1252 rather than UTF-8, which is why accented names come out garbled. In Excel use 'Save as > CSV UTF-8', or pick the encoding in the import dialog. I've reverted the affected names for {org}; re-import whenever you're ready.",
        ],
        engineering: &[
            "Engineering: the importer should reject ambiguous date columns with a clear message instead of guessing. Tracked in {eng}, planned for {version}.",
        ],
    },
    Topic {
        team: INTEGRATIONS,
        tags: &["api-tokens", "auth"],
        types: &[TicketType::Incident, TicketType::Question],
        urgency: 2,
        admin_topic: false,
        onboarding: false,
        subjects: &[
            "401 Unauthorized after rotating our API token",
            "How do we rotate API tokens without downtime?",
            "Old API token revoked before the new one was deployed",
            "Integration token stopped working unexpectedly",
        ],
        openings: &[
            "Hi,\n\nWe rotated our API token this morning following the docs, and now every request from our integration fails with 401 invalid_token. The new token shows as active in the dashboard. Request id: {req}.\n\n{customer}",
            "Hello,\n\nOur security policy requires rotating API credentials every 90 days. What's the recommended way to do this without interrupting the integration? Can two tokens be valid at the same time?\n\nThanks,\n{customer}",
            "Hi,\n\nOur integration stopped working at {time} UTC with 401s. Nobody on our side touched the token. Did something change?\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nCould you send the prefix of the token your integration sends (the fl_ part shown in the dashboard is enough) and the request id of a failed call? Please never send the full token.",
            "Hi {customer},\n\nWhich user owns the token? A token that belongs to a personal account stops working when that user is deactivated.",
        ],
        details: &[
            "The prefix is fl_{n}a8, request id {req}.",
            "The token belonged to our former integration engineer, who left last week. IT deactivated their account.",
        ],
        notes: &[
            "The 401 requests use the revoked token; the new token has never been used. Their deployment didn't pick up the new secret (probably cached in their secret manager).",
            "The token owner was deactivated on {date}, which revokes their tokens. Recommend a dedicated service account.",
        ],
        fixes: &[
            "Hi {customer},\n\nOur logs show your integration still sends the old (revoked) token; the new one hasn't been used yet, so your deployment most likely still has the old secret cached. Restart the integration after updating the secret and the 401s stop. Next time: create the new token, deploy it, then revoke the old one; both stay valid in parallel.",
            "Hi {customer},\n\nThe token belonged to a user who was deactivated, and deactivating a user revokes their tokens. I recommend a dedicated service account for {org}'s integration, so staff changes don't break it. I'm happy to help set it up.",
        ],
        engineering: &[
            "Engineering: token revocation on deactivation is working as designed; adding a warning in the deactivate dialog listing the user's active tokens ({eng}).",
        ],
    },
    Topic {
        team: PLATFORM,
        tags: &["timezone", "reporting"],
        types: &[TicketType::Problem, TicketType::Incident, TicketType::Question],
        urgency: 1,
        admin_topic: false,
        onboarding: false,
        subjects: &[
            "Daily report shifted by one hour since the DST change",
            "Timestamps off by {n} hours in the export",
            "Events from {tz} show up on the wrong day",
            "Dashboard totals don't match our warehouse for the same day",
        ],
        openings: &[
            "Hi,\n\nSince the daylight saving change our daily report includes events from 23:00 the previous day and misses the last hour of the day. Our account time zone is {tz}. This breaks our reconciliation with finance.\n\n{customer}",
            "Hello,\n\nTimestamps in the CSV export are {n} hours off compared to what we sent. We send ISO 8601 timestamps.\n\nRegards, {customer}",
            "Hi,\n\nThe dashboard shows {count} orders for Monday, our warehouse shows a different number for the same day. We think it's a time zone issue but can't tell which side.\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nWhich time zone is configured for {org} (Settings > Account), and which time zone does your warehouse use for the day boundary? One example event that lands on the wrong day, with the timestamp you sent, would help too.",
            "Hi {customer},\n\nDo your events include an explicit UTC offset, or local time without one? The export converts to the account time zone, and events without an offset are read as UTC.",
        ],
        details: &[
            "The account is set to {tz}, the warehouse uses UTC. Example: an event sent as 2024-03-31T23:30:00 (no offset).",
            "We send local time without an offset, I just checked. I thought we included it.",
        ],
        notes: &[
            "The customer sends local timestamps without an offset; we read them as UTC, so events drift by the {tz} offset, and by one more hour after DST.",
            "The report window is computed in UTC instead of the account time zone. Known issue for accounts outside UTC.",
        ],
        fixes: &[
            "Hi {customer},\n\nThe events are sent in local time without an offset, so we read them as UTC and they end up {n} hours off (one more since daylight saving started). Adding the offset, or sending UTC with a trailing Z, fixes it for new events. For historical data I can re-interpret the last 30 days for {org} as {tz} local time; just confirm and I'll schedule it.",
            "Hi {customer},\n\nYour dashboard counts days in the account time zone ({tz}) while your warehouse counts in UTC, so orders near midnight land on different days. Both are right for their definition of a day. To make them match, set the report time zone to UTC under Reports > Settings.",
        ],
        engineering: &[
            "Engineering: the daily report window ignores DST transitions for non-UTC accounts. Fix in {version}; reports for the affected days can be regenerated.",
        ],
    },
    Topic {
        team: INTEGRATIONS,
        tags: &["event-ingest", "duplicates", "idempotency"],
        types: &[TicketType::Problem, TicketType::Incident],
        urgency: 1,
        admin_topic: false,
        onboarding: false,
        subjects: &[
            "Duplicate {event} events after network timeouts",
            "The same order appears twice in the dashboard",
            "Idempotency-Key ignored on {endpoint}?",
        ],
        openings: &[
            "Hi,\n\nWe see duplicate {event} records: same order id, created twice a few seconds apart. It seems to happen when our client times out and retries. We do send an Idempotency-Key header. Example request id: {req}.\n\n{customer}",
            "Hello,\n\n{count} orders show up twice in the dashboard since last week. Our logs show we sent each one once, but some requests took more than 30 seconds.\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nCould you send the Idempotency-Key values of one duplicated pair? Keys are scoped per token and kept for 24 hours, so it matters whether the retry used the same token and the same key.",
        ],
        details: &[
            "Looking at our code, we generate the key inside the retry loop, so every attempt gets a new key. That's on us, I guess.",
            "Same key for both requests (idem_{req}), same token.",
        ],
        notes: &[
            "The customer generates a new idempotency key per attempt, so retries aren't deduplicated.",
            "Both requests arrived within 200 ms on different ingest nodes; the idempotency check isn't atomic across nodes. Looks like our bug.",
        ],
        fixes: &[
            "Hi {customer},\n\nThe retries carry a new Idempotency-Key each time (the key is generated inside the retry loop), so we treat them as new events. Generate the key once per logical event and reuse it for every retry; we then return the original result for 24 hours instead of creating a duplicate. I can remove the existing duplicates for {org} if you send me the list.",
        ],
        engineering: &[
            "Engineering: race in the idempotency check across ingest nodes confirmed. Fix deploys with {version}; duplicates of affected tenants will be cleaned up by script.",
        ],
    },
    Topic {
        team: INTEGRATIONS,
        tags: &["webhooks", "delivery"],
        types: &[TicketType::Incident, TicketType::Question],
        urgency: 1,
        admin_topic: false,
        onboarding: false,
        subjects: &[
            "Webhook endpoint disabled after repeated failures",
            "Webhooks delayed by up to {n} minutes",
            "{event} webhooks arriving out of order",
        ],
        openings: &[
            "Hi,\n\nOur webhook endpoint was disabled automatically last night. We had a short outage ({n} minutes) during a deploy, and now we're missing all events since then. How do we get them back?\n\n{customer}",
            "Hello,\n\nWebhooks for {event} arrive with delays of up to {n} minutes since yesterday. Normally it's a couple of seconds. Our endpoint responds in under 200 ms.\n\n{customer}",
            "Hi,\n\nFor some shipments we receive shipment.updated before shipment.created, which breaks our processing. Is the order guaranteed?\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nCould you confirm the endpoint id (it starts with ep_) and whether it now returns 2xx within 5 seconds? Anything slower counts as a failure and is retried later.",
        ],
        details: &[
            "It's ep_{req}. It responds 200 in about 150 ms now, verified with curl.",
            "The endpoint is ep_{req}, and yes, 2xx well within 5 seconds.",
        ],
        notes: &[
            "The endpoint was auto-disabled after 50 consecutive failures during their deploy. Events since then are in the retry store (kept 72h).",
            "Their endpoint sometimes takes over 5s under load (p99 about 7s), so deliveries time out and are retried with backoff, which looks like delays.",
        ],
        fixes: &[
            "Hi {customer},\n\nThe endpoint was disabled after 50 consecutive failed deliveries during your deploy. I've re-enabled it and replayed the {count} events from the retry store, so nothing is lost. For future deploys, answer 503 quickly rather than timing out, or pause the endpoint in the dashboard during maintenance.",
            "Hi {customer},\n\nDelivery order isn't guaranteed: retries and parallel delivery can reorder events. Use the occurred_at field and the resource version in the payload to apply events in order, or fetch the current state from the API when an update arrives for a resource you don't know yet.",
        ],
        engineering: &["Engineering: delivery workers were starved by a noisy tenant on {date}; per-tenant fairness ships in {version}."],
    },
    Topic {
        team: INTEGRATIONS,
        tags: &["oauth", "api"],
        types: &[TicketType::Question, TicketType::Question, TicketType::Incident],
        urgency: 0,
        admin_topic: false,
        onboarding: true,
        subjects: &[
            "403 insufficient_scope when calling {endpoint}",
            "Which OAuth scopes do we need for read-only reporting?",
            "Refresh token stopped working after {n} days",
        ],
        openings: &[
            "Hi,\n\nOur OAuth client gets 403 insufficient_scope on {endpoint} although the app has events:write. What else is needed?\n\n{customer}",
            "Hello,\n\nWe're building a read-only reporting integration for {org}. Which scopes are the minimum? We'd rather not request write access.\n\n{customer}",
        ],
        asks: &["Hi {customer},\n\nCould you share the client id (not the secret) and the scope claim of a decoded access token?"],
        details: &["The client id is cli_{req}. Scope claim: 'events:write profile'."],
        notes: &["The client requests events:write, but {endpoint} also needs events:read for the validation step; the docs don't say so."],
        fixes: &[
            "Hi {customer},\n\n{endpoint} needs both events:read and events:write (it reads back the schema to validate your payload). Add events:read to the client's requested scopes and re-authorize; existing tokens keep their old scopes until then. I've asked our docs team to list this requirement.",
            "Hi {customer},\n\nFor read-only reporting you need reports:read and events:read only. Refresh tokens are valid for 60 days and rotate on every use, so store the new refresh token each time you refresh.",
        ],
        engineering: &["Engineering: scope requirements per endpoint will be listed in the API reference from {version}."],
    },
    Topic {
        team: PLATFORM,
        tags: &["api", "pagination", "export"],
        types: &[TicketType::Question, TicketType::Problem],
        urgency: 0,
        admin_topic: false,
        onboarding: false,
        subjects: &[
            "Export API returns 'cursor expired' halfway through",
            "Missing records when paging through /v2/orders",
            "Pagination returns the same page twice",
        ],
        openings: &[
            "Hi,\n\nWhen we page through the orders export (about {count} records), we get 'cursor expired' after roughly 40 minutes and can't finish the export.\n\n{customer}",
            "Hello,\n\nWe page through /v2/orders with limit=500 and an offset, and the total we collect is lower than the count in the dashboard. Some records are missing.\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nHow long does your client wait between pages, and do you sort by anything? Cursors stay valid for 30 minutes of inactivity.",
        ],
        details: &["We process each page before fetching the next, which can take a couple of minutes for large pages. No explicit sort."],
        notes: &[
            "Offset paging while records are inserted shifts the pages, so records are skipped. Recommend cursor paging plus updated_since.",
        ],
        fixes: &[
            "Hi {customer},\n\nOffset paging skips records when new ones are inserted while you page, because every later page shifts. Use the cursor returned with each page instead (it's stable), and for incremental syncs use updated_since with the time of your last run. If processing a page takes long, fetch all pages first and process them afterwards so the cursor doesn't expire.",
        ],
        engineering: &["Engineering: cursor lifetime will be extended to 2 hours in {version}."],
    },
    Topic {
        team: PLATFORM,
        tags: &["scim", "provisioning", "sso"],
        types: &[TicketType::Incident, TicketType::Question],
        urgency: 1,
        admin_topic: true,
        onboarding: false,
        subjects: &[
            "SCIM: deprovisioned users are still active",
            "Group mapping from {idp} not applied",
            "SCIM sync fails with 409 conflict for existing users",
        ],
        openings: &[
            "Hi,\n\nWe removed {n} users from the Frontline app in {idp} last week, but they're still active in Frontline. SCIM provisioning is enabled and shows green.\n\n{customer}",
            "Hello,\n\nThe SCIM push from {idp} fails for {count} users with '409 Conflict: user already exists'. These users were created by hand before we enabled SCIM.\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nCould you send the SCIM provisioning log from {idp} for one of the affected users (the request and our response)?",
        ],
        details: &["Log attached. {idp} sends PATCH active=false and your API answers 204."],
        notes: &[
            "PATCH active=false returns 204, but we only end sessions; the user is marked inactive by the nightly job. Documented, but confusing.",
            "Users created by hand have no externalId, so the IdP can't match them.",
        ],
        fixes: &[
            "Hi {customer},\n\nUsers created by hand before SCIM was enabled have no externalId, so {idp} can't match them and tries to create them again. I've linked the existing users to their {idp} identities by email; the next sync updates them instead of failing.",
            "Hi {customer},\n\nDeactivation via SCIM ends sessions immediately and marks the account inactive in the nightly run. From {version} it's immediate; until then the affected users can't sign in anyway, because {idp} no longer lets them through.",
        ],
        engineering: &["Engineering: SCIM deactivation will take effect immediately from {version} ({eng})."],
    },
    Topic {
        team: BILLING,
        tags: &["billing", "usage", "invoice"],
        types: &[TicketType::Question],
        urgency: 0,
        admin_topic: true,
        onboarding: false,
        subjects: &[
            "Invoice shows API overage charges we don't understand",
            "Usage on the invoice doesn't match our dashboard",
            "Question about event volume billing for {date}",
        ],
        openings: &[
            "Hi,\n\nOur latest invoice includes an overage charge for {count} events above our plan. Our own metrics show we stayed under the limit. Could you send a breakdown?\n\n{customer}",
            "Hello,\n\nThe usage on our invoice is about {n}% higher than what the usage dashboard showed at the end of the month. Which number is right?\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nHappy to go through it. Do your metrics count a retried event once or per attempt? Billing counts accepted events, including those sent from other environments with a production token.",
        ],
        details: &["We count unique events. We do send test traffic from our staging system; is that billed?"],
        notes: &["The staging environment of {org} uses the production token, so staging traffic counts toward the plan."],
        fixes: &[
            "Hi {customer},\n\nThe difference comes from your staging system sending events with the production token, so {count} test events were counted. I've issued a credit note for the overage on this invoice. Going forward please use a sandbox token for staging; sandbox traffic isn't billed.",
            "Hi {customer},\n\nThe usage dashboard refreshes every 24 hours, while the invoice uses the final count after month end, so the last day wasn't in what you saw. The invoice is correct; I've attached the daily breakdown for the month.",
        ],
        engineering: &["Engineering: usage dashboard will show near-real-time counts from {version}."],
    },
    Topic {
        team: BILLING,
        tags: &["billing", "plan", "seats"],
        types: &[TicketType::Task],
        urgency: 0,
        admin_topic: true,
        onboarding: false,
        subjects: &[
            "Add {n} seats to our subscription",
            "Upgrade to the Enterprise plan mid-cycle",
            "Need a second sandbox environment for QA",
        ],
        openings: &[
            "Hi,\n\nWe're onboarding a new team and need {n} more seats from next month. Can you add them, and how does pro-rating work?\n\n{customer}",
            "Hello,\n\nWe'd like to upgrade {org} to the Enterprise plan, mainly for SSO enforcement and the higher rate limits. Can we do that mid-cycle?\n\n{customer}",
            "Hi,\n\nOur QA team needs a separate sandbox so their tests don't interfere with integration development. Is a second sandbox included in our plan?\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nSure. Could you confirm the billing contact who should approve the change, and whether the PO number stays the same?",
        ],
        details: &["The billing contact is our finance team (ap@{domain}); the PO number stays the same."],
        notes: &["Sales approved the change; the pro-rated invoice is created by the next billing run."],
        fixes: &[
            "Hi {customer},\n\nDone: {n} seats have been added to {org}, effective today. You'll see a pro-rated charge for the rest of the current cycle on the next invoice. The new seats are available under Admin > Users.",
            "Hi {customer},\n\nThe second sandbox is set up (named 'qa'); switch between sandboxes with the environment picker. It has its own API tokens and webhook endpoints, so QA traffic stays separate.",
        ],
        engineering: &["Engineering: sandbox provisioning is manual today; self-service is on the roadmap ({eng})."],
    },
    Topic {
        team: INTEGRATIONS,
        tags: &["sandbox", "onboarding"],
        types: &[TicketType::Question, TicketType::Task],
        urgency: 1,
        admin_topic: false,
        onboarding: true,
        subjects: &[
            "Events sent to production show up in the sandbox",
            "Go-live checklist: switching from sandbox to production",
            "Webhook test events not received in the sandbox",
        ],
        openings: &[
            "Hi,\n\nWe switched our integration to production yesterday, but events still appear in the sandbox and not in production. We changed the base URL.\n\n{customer}",
            "Hello,\n\nWe're planning our go-live for {org} next {weekday}. Is there a checklist for moving from sandbox to production? We want to avoid surprises with tokens and webhooks.\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nWhich token does the integration use? Tokens are bound to an environment: a sandbox token sends events to the sandbox whatever the base URL.",
        ],
        details: &["You're right, the token is still the sandbox one (fl_sbx_...). We didn't know tokens are bound to the environment."],
        notes: &["The customer uses the sandbox token with the production URL; events are routed by token."],
        fixes: &[
            "Hi {customer},\n\nThe token decides the environment, not the URL: the integration still uses the sandbox token, so events go to the sandbox. Create a production token under Production > API tokens, deploy it, and events land in production. Webhook endpoints are per environment too, so register your production endpoint as well.",
            "Hi {customer},\n\nHere's the go-live checklist we use:\n\n1. Create a production API token and store it in your secret manager\n2. Register the production webhook endpoints and copy their signing secrets\n3. Publish the same schema version as in the sandbox\n4. Validate one sample payload per event type with the validation tool\n5. Switch traffic and watch the integration health page for the first hour\n\nI'll keep an eye on {org}'s health page on go-live day.",
        ],
        engineering: &[
            "Engineering: the API will return a warning header when a sandbox token is used against the production host ({eng}).",
        ],
    },
    Topic {
        team: PLATFORM,
        tags: &["export", "s3", "warehouse"],
        types: &[TicketType::Incident, TicketType::Question],
        urgency: 1,
        admin_topic: false,
        onboarding: false,
        subjects: &[
            "S3 export fails with AccessDenied",
            "Warehouse connector stuck since {date}",
            "Nightly export to our bucket is missing files",
        ],
        openings: &[
            "Hi,\n\nOur nightly export to S3 fails with AccessDenied since we moved the bucket to a new AWS account. The role ARN is updated in the settings.\n\n{customer}",
            "Hello,\n\nThe warehouse connector has shown 'syncing' for {n} days now and no new data arrives in our warehouse.\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nCould you share the bucket policy (redact the account ids) and the external id you configured in the role's trust policy?",
        ],
        details: &["Policy attached. We didn't set an external id; is that required?"],
        notes: &["The trust policy lacks the external id condition; our AssumeRole call includes it, so it's denied."],
        fixes: &[
            "Hi {customer},\n\nThe role's trust policy needs the external id shown in the export settings (it starts with flx-); without it our AssumeRole call is denied. Add the sts:ExternalId condition with that value and click 'Test connection'. I re-ran last night's export after your change and the files are in the bucket.",
        ],
        engineering: &["Engineering: the connector now reports AssumeRole failures instead of retrying silently ({version})."],
    },
    Topic {
        team: BILLING,
        tags: &["account-admin", "access"],
        types: &[TicketType::Task],
        urgency: 1,
        admin_topic: true,
        onboarding: false,
        subjects: &["Our account admin left the company, we need admin access", "Transfer account ownership to our new platform admin"],
        openings: &[
            "Hi,\n\nOur previous platform admin has left {org} and nobody else has admin rights. I'm the new integration owner. How can I get admin access?\n\n{customer}",
        ],
        asks: &[
            "Hi {customer},\n\nFor security we need a written request from an authorised contact on file for {org} (your billing contact or an executive). Could you ask them to reply to this ticket?",
        ],
        details: &["Our CFO has emailed you from her company address, please check."],
        notes: &["Verified the request with the billing contact on file by phone. OK to transfer."],
        fixes: &[
            "Hi {customer},\n\nThanks, we've verified the request with the contact on file. You now have the platform admin role for {org}. Please review the API tokens and webhook endpoints owned by the previous admin and rotate anything you're unsure about.",
        ],
        engineering: &["Engineering: no product change needed."],
    },
    Topic {
        team: PLATFORM,
        tags: &["network", "allowlist"],
        types: &[TicketType::Task, TicketType::Question, TicketType::Incident],
        urgency: 1,
        admin_topic: false,
        onboarding: false,
        subjects: &["Which IP ranges do webhooks come from?", "Webhooks blocked after your infrastructure change"],
        openings: &[
            "Hi,\n\nOur firewall only allows known addresses, and since yesterday webhooks are blocked. Did your outbound IPs change? We allow 203.0.113.0/24.\n\n{customer}",
            "Hello,\n\nOur security team asks for the IP ranges webhooks are sent from, so they can allowlist them for {org}.\n\n{customer}",
        ],
        asks: &["Hi {customer},\n\nWhich region is {org} hosted in (Settings > Account)? Outbound addresses are per region."],
        details: &["We're in the EU region."],
        notes: &["EU egress moved to new NAT gateways on {date}; the announcement went to technical contacts, but {org} has none on file."],
        fixes: &[
            "Hi {customer},\n\nOur EU region's outbound addresses changed on {date}. The current ranges are published on the status page under 'Outbound IPs' (also as JSON, for automation). Add 198.51.100.0/24 to your allowlist and deliveries resume; I've replayed the failed webhooks and added you as a technical contact so you get these announcements.",
        ],
        engineering: &["Engineering: egress changes will be announced 30 days ahead to all admins, not only technical contacts ({eng})."],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars<'static> {
        Vars {
            customer: "Dana",
            agent: "Alex",
            senior: "Sam",
            head: "Helena",
            org: "Northwind Logistics",
            domain: "northwind.example",
            seed: 42,
        }
    }

    #[test]
    fn every_placeholder_in_every_template_is_known() {
        let v = vars();
        let mut all: Vec<&str> = Vec::new();
        for t in TOPICS {
            for list in [t.subjects, t.openings, t.asks, t.details, t.notes, t.fixes, t.engineering] {
                assert!(!list.is_empty());
                all.extend_from_slice(list);
            }
        }
        for list in [
            ACKS,
            EXTRA_ASKS,
            EXTRA_DETAILS,
            NUDGES,
            THANKS,
            CONFIRM_SOLVED,
            PENDING,
            HOLD_ENGINEERING,
            HOLD_THIRD_PARTY,
            ESCALATE_T2,
            ESCALATE_T2_BILLING,
            SENIOR_TAKEOVER,
            ESCALATE_HEAD,
            ESCALATE_ENGINEERING,
            ENGINEERING_GENERIC,
            MANAGER_NOTES,
            SE_NOTES,
            CLOSE_NOTES,
            NEW_FOLLOW_UPS,
        ] {
            all.extend_from_slice(list);
        }
        for t in all {
            let out = render(t, &v);
            assert!(!out.contains('{') && !out.contains('}'), "unfilled placeholder in: {out}");
        }
        for t in TOPICS {
            for s in t.subjects {
                assert!(render(s, &v).chars().count() <= 200);
            }
            assert!(frontline_domain::ticket::parse_tags(t.tags).is_ok());
        }
    }

    #[test]
    fn extra_questions_have_their_answers() {
        assert_eq!(EXTRA_ASKS.len(), EXTRA_DETAILS.len());
    }

    #[test]
    fn values_are_stable_per_seed() {
        let v = vars();
        assert_eq!(render("{req} {eng} {field}", &v), render("{req} {eng} {field}", &v));
        assert_eq!(render("x {unknown} y {", &v), "x {unknown} y {");
        let other = Vars { seed: 43, ..vars() };
        assert_ne!(render("{req}", &v), render("{req}", &other));
    }
}
