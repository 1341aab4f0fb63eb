//! Inbound mail for the mail benchmarks (`frontline bench mail`): the
//! stream of RFC 5322 messages a support mailbox receives, deterministic
//! for a seed. Customers of several organizations open conversations;
//! later messages answer them by In-Reply-To/References, by a `[#n]`
//! subject token, or both; colleagues are Cc'd and join in; a few
//! out-of-office replies come back. Bodies come as plain text, as
//! multipart/alternative, as HTML only or with a CSV attachment, in UTF-8
//! and in Latin-1, Latin-9 and Windows-1252, with quoted-printable, base64
//! and 8bit transfer encodings.
//!
//! Ticket numbers in subject tokens assume an empty database: the n-th
//! new conversation becomes ticket n. [`MailManifest`] says what the
//! messages must become, so a benchmark can check its result.

use std::collections::BTreeSet;
use std::fmt::Write;

use anyhow::ensure;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::content::{self, TOPICS, Vars, render};
use crate::random::{pick, weighted};

/// Where `frontline bench mail generate` writes the manifest, in the Maildir's root.
pub const MAIL_MANIFEST: &str = "frontline-mail-bench.json";
/// The support address the generated mail is sent to.
pub const MAIL_SUPPORT_ADDRESS: &str = "support@frontline-bench.example";

#[derive(Debug, Clone)]
pub struct MailSpec {
    pub messages: usize,
    pub organizations: usize,
    /// People per organization who may write in or be Cc'd.
    pub people_per_org: usize,
    pub seed: u64,
}

impl Default for MailSpec {
    fn default() -> Self {
        MailSpec { messages: 10_000, organizations: 12, people_per_org: 24, seed: 42 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailOrg {
    pub name: String,
    pub domain: String,
}

/// What the generated messages are, and what ingesting all of them, in
/// order, into an empty database must produce.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailManifest {
    pub seed: u64,
    pub messages: usize,
    /// New conversations: each becomes a ticket, numbered from 1 in order.
    pub tickets: usize,
    /// Distinct senders and Cc'd addresses: each becomes a customer.
    pub people: usize,
    pub replies_by_header: usize,
    pub replies_by_token: usize,
    pub replies_by_both: usize,
    pub auto_replies: usize,
    pub with_cc: usize,
    pub plain: usize,
    pub alternative: usize,
    pub html_only: usize,
    pub with_attachment: usize,
    /// Not UTF-8 (or ASCII): Latin-1, Latin-9, Windows-1252.
    pub legacy_charset: usize,
    pub bytes: usize,
    /// Organizations that own the senders' domains; create them before ingesting.
    pub organizations: Vec<MailOrg>,
}

pub struct GeneratedMail {
    pub manifest: MailManifest,
    /// Raw messages with CRLF line ends, in delivery order.
    pub messages: Vec<Vec<u8>>,
}

/// A Maildir file name for the `i`-th message (from 0). Names sort in
/// delivery order, which is the order Dovecot gives UIDs in.
pub fn maildir_file_name(i: usize) -> String {
    format!("{}.M{:06}P1.frontline-bench", 1_800_000_000 + i, i)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    English,
    German,
    French,
}

struct Person {
    name: String,
    email: String,
    org: Option<usize>,
    lang: Lang,
    /// The name fits in Latin-1, so this person's mail client may use it.
    latin1: bool,
}

struct Thread {
    ticket: usize,
    subject: String,
    requester: usize,
    /// People the ticket has as followers (Cc'd, or answering by header).
    followers: Vec<usize>,
    ids: Vec<String>,
    last_text: String,
    last_from: usize,
    last_date: DateTime<Utc>,
    topic: usize,
    seed: u64,
    lang: Lang,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Latin1,
    Latin9,
    Windows1252,
}

impl Charset {
    fn label(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Latin1 => "ISO-8859-1",
            Charset::Latin9 => "ISO-8859-15",
            Charset::Windows1252 => "windows-1252",
        }
    }

    /// The text in this charset; what it cannot hold becomes '?'.
    fn encode(self, text: &str) -> Vec<u8> {
        if self == Charset::Utf8 {
            return text.as_bytes().to_vec();
        }
        text.chars()
            .map(|c| match (self, c) {
                (Charset::Windows1252, '€') => 0x80,
                (Charset::Windows1252, '–') => 0x96,
                (Charset::Windows1252, '—') => 0x97,
                (Charset::Windows1252, '‘') => 0x91,
                (Charset::Windows1252, '’') => 0x92,
                (Charset::Windows1252, '“') => 0x93,
                (Charset::Windows1252, '”') => 0x94,
                (Charset::Latin9, '€') => 0xA4,
                // Latin-9 replaced these Latin-1 positions.
                (Charset::Latin9, '¤' | '¦' | '¨' | '´' | '¸' | '¼' | '½' | '¾') => b'?',
                (_, c) if (c as u32) < 0x80 || (0xA0..0x100).contains(&(c as u32)) => c as u32 as u8,
                _ => b'?',
            })
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    Plain,
    Alternative,
    HtmlOnly,
    Attachment,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transfer {
    EightBit,
    QuotedPrintable,
    Base64,
}

struct Draft {
    index: usize,
    from: usize,
    cc: Vec<usize>,
    subject: String,
    message_id: String,
    in_reply_to: Option<String>,
    references: Vec<String>,
    date: DateTime<Utc>,
    text: String,
    automatic: bool,
    body: Body,
    charset: Charset,
    transfer: Transfer,
}

const ORG_NAMES: &[(&str, &str, Lang)] = &[
    ("Acme Logistics", "acme-logistics.example", Lang::English),
    ("Blue Harbor Retail", "blueharbor.example", Lang::English),
    ("Nordlicht Versand GmbH", "nordlicht-versand.example", Lang::German),
    ("Cascade Health", "cascadehealth.example", Lang::English),
    ("Maison Lumière SAS", "maison-lumiere.example", Lang::French),
    ("Driftwood Payments", "driftwoodpay.example", Lang::English),
    ("Evergreen Travel", "evergreen-travel.example", Lang::English),
    ("Brückner Maschinenbau AG", "brueckner-mb.example", Lang::German),
    ("Foxglove Analytics", "foxglove.example", Lang::English),
    ("Granite Foods", "granitefoods.example", Lang::English),
    ("Harborview Energy", "harborview-energy.example", Lang::English),
    ("Ironwood Media", "ironwood.example", Lang::English),
    ("Juniper Insurance", "juniper-ins.example", Lang::English),
    ("Keystone Robotics", "keystone-robotics.example", Lang::English),
];
/// Senders whose domain no organization owns (freemail, personal domains).
const FREEMAIL: &[&str] = &["mailbox.example", "post.example", "inbox.example"];
const FIRST: &[&str] = &[
    "Ava",
    "Ben",
    "Chloé",
    "Diego",
    "Emma",
    "Farah",
    "Gabriel",
    "Hana",
    "Inês",
    "Jürgen",
    "Kofi",
    "Lena",
    "Mateo",
    "Nina",
    "Omar",
    "Paula",
    "Quinn",
    "Rosa",
    "Søren",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Yara",
    "Zoë",
    "Björn",
    "François",
    "Łukasz",
    "José",
    "Małgorzata",
];
const LAST: &[&str] = &[
    "Anders",
    "Brooks",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "García",
    "Hoffmann",
    "Ito",
    "Jansen",
    "Kowalczyk",
    "Larsen",
    "Müller",
    "Nakamura",
    "Ødegaard",
    "Pereira",
    "Lefèvre",
    "Rossi",
    "Schröder",
    "Tanaka",
    "Núñez",
    "Weiß",
    "Young",
    "O'Brien",
];
const TITLES: &[&str] = &["Data Engineer", "Integration Lead", "IT Operations", "Platform Admin", "Head of Engineering", "Developer"];

const DE_SUBJECTS: &[&str] = &[
    "Webhook-Zustellung für {event} schlägt fehl",
    "Export bricht bei Zeile {row} ab",
    "SSO-Anmeldung über {idp} funktioniert nicht mehr",
    "Rechnung enthält doppelte Positionen",
    "Zeitüberschreitung bei {endpoint}",
];
const DE_OPENINGS: &[&str] = &[
    "Hallo Support-Team,\n\nseit {weekday} schlägt die Zustellung der {event}-Webhooks für {org} fehl. In Ihrem Dashboard sehen wir {count} fehlgeschlagene Versuche, bei uns kommt nichts an. Können Sie bitte prüfen, ob sich auf Ihrer Seite etwas geändert hat?\n\nVielen Dank und freundliche Grüße",
    "Guten Tag,\n\nder nächtliche Export bricht seit gestern bei Zeile {row} ab. Die Fehlermeldung lautet: \"Ungültiges Datumsformat in Spalte {field}\". Wir haben an der Quelle nichts geändert.\n\nMit freundlichen Grüßen",
    "Hallo,\n\nunsere Mitarbeiter können sich seit heute Morgen nicht mehr über {idp} anmelden. Die Fehlermeldung lautet \"Signatur ungültig\". Das betrifft alle Benutzer in der Zeitzone {tz}.\n\nBitte um dringende Rückmeldung, danke!",
];
const DE_REPLIES: &[&str] = &[
    "Danke für die schnelle Antwort. Anbei die gewünschten Angaben: Request-ID {req}, Zeitpunkt {time} UTC.",
    "Leider tritt der Fehler weiterhin auf, zuletzt heute um {time} UTC ({count} Datensätze betroffen). Gibt es schon einen Zwischenstand?",
    "Das hat funktioniert, vielen Dank! Der Ticket kann geschlossen werden.",
    "Kurze Rückfrage: Müssen wir auf unserer Seite noch etwas ändern, oder übernehmen Sie das?",
];
const FR_SUBJECTS: &[&str] = &[
    "Les webhooks {event} n'arrivent plus",
    "Problème d'export : la ligne {row} est rejetée",
    "Connexion SSO impossible via {idp}",
    "Facture de {date} : montant erroné",
];
const FR_OPENINGS: &[&str] = &[
    "Bonjour,\n\nDepuis {weekday}, les webhooks {event} n'arrivent plus chez nous. Le tableau de bord indique {count} tentatives échouées. Pourriez-vous vérifier de votre côté ?\n\nMerci d'avance et bonne journée.",
    "Bonjour l'équipe support,\n\nL'export quotidien s'arrête à la ligne {row} avec l'erreur « format de date invalide » dans la colonne {field}. Rien n'a changé chez nous.\n\nCordialement,",
    "Bonjour,\n\nNos utilisateurs ne peuvent plus se connecter via {idp} depuis ce matin ({time} UTC). Le message d'erreur parle d'une signature invalide. C'est assez urgent pour nous.\n\nMerci,",
];
const FR_REPLIES: &[&str] = &[
    "Merci pour votre réponse rapide. Voici les éléments demandés : identifiant de requête {req}, heure {time} UTC.",
    "Le problème persiste malheureusement : encore {count} enregistrements concernés ce matin. Avez-vous du nouveau ?",
    "C'est réglé de notre côté, merci beaucoup pour votre aide !",
    "Petite question : devons-nous modifier quelque chose chez nous, ou est-ce que vous vous en chargez ?",
];
const OOO: &[(&str, &str, Lang)] = &[
    (
        "Automatic reply: ",
        "Thank you for your message. I am out of the office until {weekday} with limited access to email. For urgent matters please contact our operations team.",
        Lang::English,
    ),
    (
        "Out of Office: ",
        "I'm currently away and will respond when I'm back on {weekday}. Your message has not been forwarded.",
        Lang::English,
    ),
    (
        "Abwesenheitsnotiz: ",
        "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich {weekday} nicht im Büro und habe keinen Zugriff auf meine E-Mails.",
        Lang::German,
    ),
    (
        "Réponse automatique : ",
        "Merci pour votre message. Je suis absent(e) jusqu'à {weekday} et je n'ai qu'un accès limité à mes e-mails.",
        Lang::French,
    ),
];

/// An email local part for a name: lower case ASCII, accents dropped.
fn local_part(first: &str, last: &str) -> String {
    let mut out = String::new();
    for c in format!("{first}.{last}").to_lowercase().chars() {
        match c {
            'a'..='z' | '0'..='9' | '.' => out.push(c),
            'ä' | 'æ' => out.push_str("ae"),
            'ö' | 'ø' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'à' | 'á' | 'â' | 'ã' | 'å' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            'ó' | 'ò' | 'ô' | 'õ' => out.push('o'),
            'ú' | 'ù' | 'û' => out.push('u'),
            'ç' => out.push('c'),
            'ñ' | 'ń' => out.push('n'),
            'ł' => out.push('l'),
            _ => {}
        }
    }
    out
}

fn people(spec: &MailSpec, orgs: &[(String, String, Lang)]) -> Vec<Person> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut add = |out: &mut Vec<Person>, first: &str, last: &str, domain: &str, org: Option<usize>, lang: Lang| {
        let mut email = format!("{}@{domain}", local_part(first, last));
        let mut n = 2;
        while !seen.insert(email.clone()) {
            email = format!("{}{n}@{domain}", local_part(first, last));
            n += 1;
        }
        let name = format!("{first} {last}");
        let latin1 = name.chars().all(|c| (c as u32) < 0x100);
        out.push(Person { name, email, org, lang, latin1 });
    };
    for (o, (_, domain, lang)) in orgs.iter().enumerate() {
        for j in 0..spec.people_per_org {
            let first = FIRST[(o * 7 + j) % FIRST.len()];
            let last = LAST[(o * 5 + j * 3 + j / FIRST.len()) % LAST.len()];
            add(&mut out, first, last, domain, Some(o), *lang);
        }
    }
    for j in 0..spec.people_per_org.max(8) {
        let first = FIRST[(j * 11 + 3) % FIRST.len()];
        let last = LAST[(j * 13 + 1) % LAST.len()];
        add(&mut out, first, last, FREEMAIL[j % FREEMAIL.len()], None, Lang::English);
    }
    out
}

/// Generate the messages. Pure: the same spec gives the same bytes.
pub fn generate_mail(spec: &MailSpec) -> anyhow::Result<GeneratedMail> {
    ensure!(spec.messages >= 1, "at least one message");
    ensure!(spec.organizations >= 1, "at least one organization");
    ensure!(spec.people_per_org >= 4, "at least four people per organization");
    let mut rng = SmallRng::seed_from_u64(spec.seed);
    let orgs: Vec<(String, String, Lang)> = (0..spec.organizations)
        .map(|i| match ORG_NAMES.get(i) {
            Some((name, domain, lang)) => (name.to_string(), domain.to_string(), *lang),
            None => (format!("Customer {}", i + 1), format!("customer{}.example", i + 1), Lang::English),
        })
        .collect();
    let people = people(spec, &orgs);
    let org_people: Vec<Vec<usize>> = (0..orgs.len()).map(|o| (0..people.len()).filter(|&p| people[p].org == Some(o)).collect()).collect();
    let free_people: Vec<usize> = (0..people.len()).filter(|&p| people[p].org.is_none()).collect();
    // Larger customers write more: organization o gets weight 1/(o+1).
    let org_weights: Vec<(usize, u32)> = (0..orgs.len()).map(|o| (o, (1200 / (o + 1)) as u32)).collect();

    let mut manifest = MailManifest {
        seed: spec.seed,
        organizations: orgs.iter().map(|(name, domain, _)| MailOrg { name: name.clone(), domain: domain.clone() }).collect(),
        ..MailManifest::default()
    };
    let mut threads: Vec<Thread> = Vec::new();
    let mut used = BTreeSet::new();
    let mut messages = Vec::with_capacity(spec.messages);
    let mut date = DateTime::from_timestamp(1_795_420_800, 0).unwrap_or_default(); // 2026-11-23 08:00 UTC
    for index in 0..spec.messages {
        date += Duration::seconds(rng.random_range(5..90));
        let reply = !threads.is_empty() && rng.random_bool(0.58);
        let mut draft = if reply {
            // Answers go to recent conversations.
            let recent = threads.len().saturating_sub(400);
            let t = rng.random_range(recent..threads.len());
            reply_draft(&mut rng, &people, &org_people, &mut threads[t], index, date, &mut manifest)
        } else {
            let requester = if rng.random_bool(0.06) {
                *free_people.choose(&mut rng).unwrap_or(&0)
            } else {
                let o = weighted(&mut rng, &org_weights);
                *org_people[o].choose(&mut rng).unwrap_or(&0)
            };
            new_draft(&mut rng, &people, &org_people, &mut threads, requester, index, date)
        };
        if !reply {
            manifest.tickets += 1;
        }
        choose_format(&mut rng, &people[draft.from], &mut draft);
        if !draft.cc.is_empty() {
            manifest.with_cc += 1;
        }
        used.insert(draft.from);
        used.extend(draft.cc.iter().copied());
        match draft.body {
            Body::Plain => manifest.plain += 1,
            Body::Alternative => manifest.alternative += 1,
            Body::HtmlOnly => manifest.html_only += 1,
            Body::Attachment => manifest.with_attachment += 1,
        }
        if draft.charset != Charset::Utf8 {
            manifest.legacy_charset += 1;
        }
        let raw = render_message(&mut rng, &people, &draft, spec.seed);
        manifest.bytes += raw.len();
        messages.push(raw);
    }
    manifest.messages = messages.len();
    manifest.people = used.len();
    Ok(GeneratedMail { manifest, messages })
}

fn vars<'a>(people: &'a [Person], from: usize, org: &'a str, domain: &'a str, seed: u64) -> Vars<'a> {
    let first = people[from].name.split(' ').next().unwrap_or_default();
    Vars { customer: first, agent: "Sam", senior: "Alex", head: "Harper", org, domain, seed }
}

fn org_of(people: &[Person], p: usize) -> (String, String) {
    let domain = people[p].email.split_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
    let org = match people[p].org {
        Some(o) => ORG_NAMES.get(o).map(|(n, _, _)| n.to_string()).unwrap_or_else(|| format!("Customer {}", o + 1)),
        None => "our company".to_string(),
    };
    (org, domain)
}

fn message_id(rng: &mut SmallRng, people: &[Person], from: usize, index: usize, date: DateTime<Utc>, seed: u64) -> String {
    let domain = people[from].email.split_once('@').map(|(_, d)| d).unwrap_or("mail.example");
    // Different clients write Message-IDs differently; all are unique by index and seed.
    match index % 3 {
        0 => format!("<{}.{index:06}.{seed:x}@mail.{domain}>", date.format("%Y%m%d%H%M%S")),
        1 => format!("<CAF{:012x}{index:06}x{seed:x}@mail.gmail.example>", rng.random::<u64>() & 0xFFFF_FFFF_FFFF),
        _ => format!("<{:08X}-{index:06}-{seed:x}@{}.outlook.example>", rng.random::<u32>(), domain.replace('.', "-")),
    }
}

fn signature(people: &[Person], from: usize, rng: &mut SmallRng) -> String {
    let (org, _) = org_of(people, from);
    format!("-- \n{}\n{}, {org}", people[from].name, pick(rng, TITLES))
}

fn new_draft(
    rng: &mut SmallRng,
    people: &[Person],
    org_people: &[Vec<usize>],
    threads: &mut Vec<Thread>,
    requester: usize,
    index: usize,
    date: DateTime<Utc>,
) -> Draft {
    let seed: u64 = rng.random();
    let topic = rng.random_range(0..TOPICS.len());
    let person = &people[requester];
    let lang = if person.lang != Lang::English && rng.random_bool(0.7) { person.lang } else { Lang::English };
    let (org, domain) = org_of(people, requester);
    let v = vars(people, requester, &org, &domain, seed);
    let (subject, opening) = match lang {
        Lang::English => {
            let t = &TOPICS[topic];
            (render(pick(rng, t.subjects), &v), render(pick(rng, t.openings), &v))
        }
        Lang::German => (render(pick(rng, DE_SUBJECTS), &v), render(pick(rng, DE_OPENINGS), &v)),
        Lang::French => (render(pick(rng, FR_SUBJECTS), &v), render(pick(rng, FR_OPENINGS), &v)),
    };
    let text = format!("{opening}\n\n{}", signature(people, requester, rng));
    // Colleagues Cc'd from the start.
    let mut cc = Vec::new();
    if let Some(o) = person.org
        && rng.random_bool(0.15)
    {
        for _ in 0..rng.random_range(1..=2) {
            if let Some(&c) = org_people[o].choose(rng)
                && c != requester
                && !cc.contains(&c)
            {
                cc.push(c);
            }
        }
    }
    let id = message_id(rng, people, requester, index, date, seed);
    threads.push(Thread {
        ticket: threads.len() + 1,
        subject: subject.clone(),
        requester,
        followers: cc.clone(),
        ids: vec![id.clone()],
        last_text: text.clone(),
        last_from: requester,
        last_date: date,
        topic,
        seed,
        lang,
    });
    Draft {
        index,
        from: requester,
        cc,
        subject,
        message_id: id,
        in_reply_to: None,
        references: vec![],
        date,
        text,
        automatic: false,
        body: Body::Plain,
        charset: Charset::Utf8,
        transfer: Transfer::EightBit,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ReplyKind {
    Header,
    Token,
    Both,
    Auto,
}

fn reply_draft(
    rng: &mut SmallRng,
    people: &[Person],
    org_people: &[Vec<usize>],
    t: &mut Thread,
    index: usize,
    date: DateTime<Utc>,
    manifest: &mut MailManifest,
) -> Draft {
    let kind = weighted(rng, &[(ReplyKind::Header, 66), (ReplyKind::Token, 14), (ReplyKind::Both, 14), (ReplyKind::Auto, 6)]);
    let org = people[t.requester].org;
    // Who writes: mostly the requester; followers too; now and then a
    // colleague who was not in the conversation replies to all.
    let colleague = org.and_then(|o| org_people[o].choose(rng).copied()).filter(|&c| c != t.requester);
    let from = match kind {
        // The subject token threads only for participants.
        ReplyKind::Token => {
            if !t.followers.is_empty() && rng.random_bool(0.25) {
                *t.followers.choose(rng).unwrap_or(&t.requester)
            } else {
                t.requester
            }
        }
        ReplyKind::Auto => {
            let mut pool = t.followers.clone();
            pool.push(t.requester);
            *pool.choose(rng).unwrap_or(&t.requester)
        }
        _ => match rng.random_range(0..10) {
            0 if colleague.is_some() => colleague.unwrap_or(t.requester),
            1 | 2 if !t.followers.is_empty() => *t.followers.choose(rng).unwrap_or(&t.requester),
            _ => t.requester,
        },
    };
    let lang = if kind == ReplyKind::Auto { people[from].lang } else { t.lang };
    let (org_name, domain) = org_of(people, from);
    let v = vars(people, from, &org_name, &domain, t.seed);
    let (subject, text, automatic) = if kind == ReplyKind::Auto {
        let options: Vec<&(&str, &str, Lang)> = OOO.iter().filter(|(_, _, l)| *l == lang).collect();
        let (prefix, body, _) = options.choose(rng).copied().copied().unwrap_or(OOO[0]);
        (format!("{prefix}{}", t.subject), format!("{}\n\n{}", render(body, &v), people[from].name), true)
    } else {
        let prefix = match lang {
            Lang::German if rng.random_bool(0.6) => "AW: ",
            _ => "Re: ",
        };
        let subject = match kind {
            ReplyKind::Token | ReplyKind::Both => format!("{prefix}[#{}] {}", t.ticket, t.subject),
            _ => format!("{prefix}{}", t.subject),
        };
        let said = match lang {
            Lang::English => {
                let topic = &TOPICS[t.topic];
                let list: &[&str] = match rng.random_range(0..10) {
                    0..=3 => topic.details,
                    4..=5 => content::NUDGES,
                    6 => content::THANKS,
                    7 => content::NEW_FOLLOW_UPS,
                    _ => content::EXTRA_DETAILS,
                };
                render(pick(rng, list), &v)
            }
            Lang::German => render(pick(rng, DE_REPLIES), &v),
            Lang::French => render(pick(rng, FR_REPLIES), &v),
        };
        let mut text = format!("{said}\n\n{}", people[from].name.split(' ').next().unwrap_or_default());
        // Most clients quote what they answer.
        if rng.random_bool(0.7) {
            let who = &people[t.last_from].name;
            let when = t.last_date.format("%a, %-d %b %Y at %H:%M");
            let header = match lang {
                Lang::German => format!("Am {when} schrieb {who}:"),
                Lang::French => format!("Le {when}, {who} a écrit :"),
                Lang::English => format!("On {when}, {who} wrote:"),
            };
            let quoted: String = t.last_text.lines().take(12).map(|l| format!("> {l}\n")).collect();
            text = format!("{text}\n\n{header}\n{quoted}");
        }
        (subject, text, false)
    };
    let mut cc = Vec::new();
    if !automatic
        && rng.random_bool(0.08)
        && let Some(c) = colleague.filter(|&c| c != from)
    {
        cc.push(c);
    }
    let (in_reply_to, references) = if kind == ReplyKind::Token {
        (None, vec![])
    } else {
        let refs: Vec<String> = t.ids[t.ids.len().saturating_sub(10)..].to_vec();
        (refs.last().cloned(), refs)
    };
    match kind {
        ReplyKind::Header => manifest.replies_by_header += 1,
        ReplyKind::Token => manifest.replies_by_token += 1,
        ReplyKind::Both => manifest.replies_by_both += 1,
        ReplyKind::Auto => manifest.auto_replies += 1,
    }
    // Mirror what ingesting makes of it: who answers by header, and who is
    // Cc'd, follows the ticket (and may then use the subject token).
    if kind != ReplyKind::Token && from != t.requester && !t.followers.contains(&from) {
        t.followers.push(from);
    }
    for &c in &cc {
        if c != from && !t.followers.contains(&c) {
            t.followers.push(c);
        }
    }
    let id = message_id(rng, people, from, index, date, t.seed);
    t.ids.push(id.clone());
    if !automatic {
        t.last_text = text.lines().take_while(|l| !l.starts_with("> ")).collect::<Vec<_>>().join("\n").trim_end().to_string();
        t.last_from = from;
        t.last_date = date;
    }
    Draft {
        index,
        from,
        cc,
        subject,
        message_id: id,
        in_reply_to,
        references,
        date,
        text,
        automatic,
        body: Body::Plain,
        charset: Charset::Utf8,
        transfer: Transfer::EightBit,
    }
}

fn choose_format(rng: &mut SmallRng, from: &Person, d: &mut Draft) {
    d.body = if d.automatic {
        Body::Plain
    } else {
        weighted(rng, &[(Body::Plain, 58), (Body::Alternative, 28), (Body::HtmlOnly, 10), (Body::Attachment, 4)])
    };
    // Older and Windows clients still send legacy charsets, mostly for
    // European languages; a name outside Latin-1 forces UTF-8.
    let legacy_share = if from.lang == Lang::English { 0.06 } else { 0.45 };
    d.charset = if from.latin1 && d.body != Body::HtmlOnly && rng.random_bool(legacy_share) {
        weighted(rng, &[(Charset::Latin1, 50), (Charset::Windows1252, 35), (Charset::Latin9, 15)])
    } else {
        Charset::Utf8
    };
    d.transfer = weighted(rng, &[(Transfer::QuotedPrintable, 55), (Transfer::EightBit, 30), (Transfer::Base64, 15)]);
}

// ---------------------------------------------------------------------------
// Encoding.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in lines of 76 characters.
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for (i, c) in encoded.chars().enumerate() {
        if i > 0 && i % 76 == 0 {
            out.push_str("\r\n");
        }
        out.push(c);
    }
    out
}

/// Quoted-printable (RFC 2045) of text whose lines end in '\n'.
fn quoted_printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 11 / 10);
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    for line in bytes.split(|&b| b == b'\n') {
        let mut width = 0;
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let plain = ((b == b' ' || b == b'\t') && !last) || ((33..=126).contains(&b) && b != b'=');
            let piece = if plain { (b as char).to_string() } else { format!("={b:02X}") };
            if width + piece.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += piece.len();
            out.push_str(&piece);
        }
        out.push_str("\r\n");
    }
    out
}

/// An RFC 2047 header word (Q encoding) when the text is not plain ASCII;
/// long text is split into several words of whole characters.
fn header_text(text: &str, charset: Charset, phrase: bool) -> String {
    let specials = phrase && text.chars().any(|c| "()<>[]:;@\\,.\"'".contains(c));
    if text.is_ascii() {
        return if specials { format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")) } else { text.to_string() };
    }
    let charset = if text.chars().all(|c| (c as u32) < 0x100) { charset } else { Charset::Utf8 };
    let mut words = Vec::new();
    let mut current = String::new();
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let bytes =
            if charset == Charset::Utf8 { c.encode_utf8(&mut buf).as_bytes().to_vec() } else { charset.encode(c.encode_utf8(&mut buf)) };
        let mut piece = String::new();
        for b in bytes {
            match b {
                b' ' => piece.push('_'),
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'!' | b'*' | b'+' | b'-' | b'/' => piece.push(b as char),
                _ => {
                    let _ = write!(piece, "={b:02X}");
                }
            }
        }
        if current.len() + piece.len() > 45 {
            words.push(std::mem::take(&mut current));
        }
        current.push_str(&piece);
    }
    words.push(current);
    words.iter().map(|w| format!("=?{}?Q?{w}?=", charset.label())).collect::<Vec<_>>().join("\r\n ")
}

fn address(people: &[Person], p: usize, charset: Charset) -> String {
    format!("{} <{}>", header_text(&people[p].name, charset, true), people[p].email)
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The HTML a mail client makes of the text: paragraphs, the quote as a blockquote.
fn html_of(text: &str, charset: Charset) -> String {
    let (said, quoted) = match text.find("\n> ") {
        Some(i) => {
            let head = text[..i].rfind("\n\n").unwrap_or(i);
            (&text[..head], &text[head..])
        }
        None => (text, ""),
    };
    let mut html = format!(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={}\"></head><body><div dir=\"ltr\" style=\"font-family:Arial,sans-serif;font-size:14px\">",
        charset.label()
    );
    for para in said.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let _ = write!(html, "<p>{}</p>", para.lines().map(escape_html).collect::<Vec<_>>().join("<br>\n"));
    }
    html.push_str("</div>");
    if !quoted.trim().is_empty() {
        let lines: Vec<String> = quoted.trim().lines().map(|l| escape_html(l.trim_start_matches('>').trim_start())).collect();
        let _ = write!(
            html,
            "<div class=\"gmail_quote\"><blockquote style=\"margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex\">{}</blockquote></div>",
            lines.join("<br>\n")
        );
    }
    html.push_str("</body></html>\n");
    // Break long HTML lines at tags so no line passes the SMTP limit.
    html.replace("</p>", "</p>\n")
}

/// Text with CRLF line ends, ending in one.
fn crlf(bytes: &[u8]) -> Vec<u8> {
    let trimmed = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut out = trimmed.split(|&b| b == b'\n').collect::<Vec<_>>().join(&b"\r\n"[..]);
    out.extend_from_slice(b"\r\n");
    out
}

/// A body part: its headers and its text in the charset and transfer encoding.
fn part(content_type: &str, charset: Charset, transfer: Transfer, text: &str) -> Vec<u8> {
    let bytes = charset.encode(text);
    // Mail clients encode HTML; 8bit is for plain text.
    let transfer = if transfer == Transfer::EightBit && content_type == "text/html" { Transfer::QuotedPrintable } else { transfer };
    let (cte, body) = match transfer {
        Transfer::EightBit => (if bytes.is_ascii() { "7bit" } else { "8bit" }, crlf(&bytes)),
        Transfer::QuotedPrintable => ("quoted-printable", quoted_printable(&bytes).into_bytes()),
        Transfer::Base64 => ("base64", (base64_lines(&crlf(&bytes)) + "\r\n").into_bytes()),
    };
    let mut out =
        format!("Content-Type: {content_type}; charset=\"{}\"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n", charset.label()).into_bytes();
    out.extend(body);
    out
}

/// Wrap paragraphs at about 72 columns, as mail clients do for plain text.
fn wrap(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 70);
    for line in text.split('\n') {
        if line.chars().count() <= 76 || line.starts_with("> ") {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut width = 0;
        for (i, word) in line.split(' ').enumerate() {
            let w = word.chars().count();
            if i > 0 && width + 1 + w > 72 {
                out.push('\n');
                width = 0;
            } else if i > 0 {
                out.push(' ');
                width += 1;
            }
            out.push_str(word);
            width += w;
        }
        out.push('\n');
    }
    out.trim_end_matches('\n').to_string() + "\n"
}

/// A CSV export a customer attaches to show the problem.
fn attachment(rng: &mut SmallRng) -> (String, Vec<u8>) {
    let rows = rng.random_range(40..400);
    let mut csv = String::from("id,created_at,event,status,latency_ms,request_id\n");
    for r in 0..rows {
        let _ = writeln!(
            csv,
            "{},2026-11-2{}T{:02}:{:02}:{:02}Z,order.updated,{},{},req_{:010x}",
            100_000 + r,
            rng.random_range(0..3),
            rng.random_range(0..24),
            rng.random_range(0..60),
            rng.random_range(0..60),
            if rng.random_bool(0.2) { "failed" } else { "delivered" },
            rng.random_range(20..4000),
            rng.random::<u64>() & 0xFF_FFFF_FFFF
        );
    }
    (format!("export-{}.csv", rng.random_range(1000..9999)), csv.into_bytes())
}

fn render_message(rng: &mut SmallRng, people: &[Person], d: &Draft, seed: u64) -> Vec<u8> {
    let from = &people[d.from];
    let domain = from.email.split_once('@').map(|(_, dom)| dom).unwrap_or_default();
    let mut h = String::new();
    let _ = write!(
        h,
        "Return-Path: <{}>\r\nReceived: from mail.{domain} (mail.{domain} [192.0.2.{}])\r\n\tby mx.frontline-bench.example with ESMTPS id {:016x}\r\n\tfor <{MAIL_SUPPORT_ADDRESS}>; {}\r\n",
        from.email,
        1 + d.index % 250,
        rng.random::<u64>() ^ seed,
        d.date.to_rfc2822()
    );
    let _ = write!(
        h,
        "Date: {}\r\nFrom: {}\r\nTo: Support <{MAIL_SUPPORT_ADDRESS}>\r\n",
        d.date.to_rfc2822(),
        address(people, d.from, d.charset)
    );
    if !d.cc.is_empty() {
        let cc: Vec<String> = d.cc.iter().map(|&c| address(people, c, d.charset)).collect();
        let _ = write!(h, "Cc: {}\r\n", cc.join(",\r\n "));
    }
    let _ = write!(h, "Subject: {}\r\nMessage-ID: {}\r\n", header_text(&d.subject, d.charset, false), d.message_id);
    if let Some(parent) = &d.in_reply_to {
        let _ = write!(h, "In-Reply-To: {parent}\r\nReferences: {}\r\n", d.references.join("\r\n "));
    }
    if d.automatic {
        h.push_str("Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\nPrecedence: auto_reply\r\n");
    }
    h.push_str("MIME-Version: 1.0\r\n");
    let text = wrap(&d.text);
    let boundary = format!("----=_Part_{}_{:08x}", d.index, rng.random::<u32>());
    let mut out = h.into_bytes();
    let html_transfer = if d.transfer == Transfer::Base64 { Transfer::Base64 } else { Transfer::QuotedPrintable };
    match d.body {
        Body::Plain => out.extend(part("text/plain", d.charset, d.transfer, &text)),
        Body::HtmlOnly => out.extend(part("text/html", d.charset, html_transfer, &html_of(&d.text, d.charset))),
        Body::Alternative => {
            out.extend_from_slice(format!("Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n").as_bytes());
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            out.extend(part("text/plain", d.charset, d.transfer, &text));
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            out.extend(part("text/html", d.charset, html_transfer, &html_of(&d.text, d.charset)));
            out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        }
        Body::Attachment => {
            let (name, csv) = attachment(rng);
            out.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n")
                    .as_bytes(),
            );
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            out.extend(part("text/plain", d.charset, d.transfer, &text));
            out.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Type: text/csv; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n",
                    base64_lines(&csv)
                )
                .as_bytes(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn encodings_round_trip_by_hand() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(quoted_printable("Grüße = ja \n".as_bytes()), "Gr=C3=BC=C3=9Fe =3D ja=20\r\n");
        assert_eq!(Charset::Latin1.encode("Grüße"), b"Gr\xfc\xdfe");
        assert_eq!(Charset::Windows1252.encode("it’s €5"), b"it\x92s \x805");
        assert_eq!(header_text("Jürgen Müller", Charset::Latin1, true), "=?ISO-8859-1?Q?J=FCrgen_M=FCller?=");
        assert_eq!(header_text("Dana K.", Charset::Utf8, true), "\"Dana K.\"");
        assert_eq!(local_part("Søren", "Weiß"), "soeren.weiss");
    }

    #[test]
    fn generation_is_deterministic_and_varied() {
        let spec = MailSpec { messages: 400, ..MailSpec::default() };
        let a = generate_mail(&spec).expect("generate");
        let b = generate_mail(&spec).expect("generate");
        assert_eq!(a.messages, b.messages, "same seed, same bytes");
        assert_eq!(a.manifest, b.manifest);
        let m = &a.manifest;
        assert_eq!(m.messages, 400);
        assert_eq!(m.tickets + m.replies_by_header + m.replies_by_token + m.replies_by_both + m.auto_replies, 400);
        assert_eq!(m.plain + m.alternative + m.html_only + m.with_attachment, 400);
        for n in [
            m.tickets,
            m.replies_by_header,
            m.replies_by_token,
            m.replies_by_both,
            m.auto_replies,
            m.with_cc,
            m.alternative,
            m.html_only,
            m.with_attachment,
            m.legacy_charset,
        ] {
            assert!(n > 0, "{m:?}");
        }
        let ids: BTreeSet<String> = a
            .messages
            .iter()
            .filter_map(|raw| {
                let text = String::from_utf8_lossy(raw);
                text.lines().find_map(|l| l.strip_prefix("Message-ID: ").map(str::to_string))
            })
            .collect();
        assert_eq!(ids.len(), 400, "every message has its own Message-ID");
        assert!(a.messages.iter().all(|raw| raw.split(|&b| b == b'\n').all(|l| l.len() <= 998)), "no line over the SMTP limit");
        let other = generate_mail(&MailSpec { seed: 7, ..spec }).expect("generate");
        assert_ne!(a.messages, other.messages);
    }
}
