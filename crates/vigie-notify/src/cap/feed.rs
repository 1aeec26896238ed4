//! The Atom feed of current CAP messages: one entry per message, its id the CAP identifier,
//! its link the full message (`application/cap+xml`); expired messages drop out.

use chrono::{DateTime, Utc};

use super::alert::{CapAlert, cap_time};
use super::xml::XmlWriter;

/// The feed's own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedHeader {
    /// The feed's permanent id (an IRI: `https://vigie.example.org/cap/feed.atom`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Where the feed itself is served (`rel="self"`).
    pub self_url: String,
    /// The author's name (the warning service).
    pub author: String,
}

/// One message in the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The CAP identifier (Vigie's are URNs, valid Atom ids).
    pub identifier: String,
    /// A title: the first headline, else the first event, else the identifier.
    pub title: String,
    /// When the message was sent.
    pub updated: DateTime<Utc>,
    /// When it stops applying (`None`: until cancelled).
    pub expires: Option<DateTime<Utc>>,
    /// Where the full message is served (`/cap/{identifier}.xml`).
    pub cap_url: String,
    /// A summary: the first description, if any.
    pub summary: Option<String>,
}

impl FeedEntry {
    /// The entry for `alert`, served at `cap_url`.
    pub fn for_alert(alert: &CapAlert, cap_url: impl Into<String>) -> Self {
        let first = alert.infos.first();
        let title = first
            .and_then(|info| info.headline.clone())
            .or_else(|| first.map(|info| info.event.clone()))
            .unwrap_or_else(|| alert.identifier.clone());
        FeedEntry {
            identifier: alert.identifier.clone(),
            title,
            updated: alert.sent,
            expires: alert.expires(),
            cap_url: cap_url.into(),
            summary: first.and_then(|info| info.description.clone()),
        }
    }

    /// Whether the entry has expired at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_some_and(|expires| expires <= now)
    }
}

/// The feed at `now`: entries not expired, newest first; the feed's `updated` is the newest
/// entry's (or `now` when none is left).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use vigie_notify::cap::{FeedEntry, FeedHeader, atom_feed};
///
/// let header = FeedHeader {
///     id: "https://vigie.example.org/cap/feed.atom".into(),
///     title: "Vigie".into(),
///     self_url: "https://vigie.example.org/cap/feed.atom".into(),
///     author: "Vigie".into(),
/// };
/// let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
/// let entry = |id: &str, expires_hour| FeedEntry {
///     identifier: id.into(),
///     title: "ALERTE".into(),
///     updated: Utc.with_ymd_and_hms(2026, 11, 22, 4, 0, 0).unwrap(),
///     expires: Some(Utc.with_ymd_and_hms(2026, 11, 22, expires_hour, 0, 0).unwrap()),
///     cap_url: format!("https://vigie.example.org/cap/{id}.xml"),
///     summary: None,
/// };
/// let xml = atom_feed(&header, &[entry("urn:a", 18), entry("urn:b", 10)], now);
/// assert!(xml.contains("<id>urn:a</id>"));
/// assert!(!xml.contains("urn:b"));
/// ```
pub fn atom_feed(header: &FeedHeader, entries: &[FeedEntry], now: DateTime<Utc>) -> String {
    let mut current: Vec<&FeedEntry> = entries
        .iter()
        .filter(|entry| !entry.is_expired(now))
        .collect();
    current.sort_by(|a, b| {
        b.updated
            .cmp(&a.updated)
            .then_with(|| a.identifier.cmp(&b.identifier))
    });
    let updated = current.first().map_or(now, |entry| entry.updated);

    let mut xml = XmlWriter::new();
    xml.open("feed", &[("xmlns", "http://www.w3.org/2005/Atom")]);
    xml.text_element("id", &[], &header.id);
    xml.text_element("title", &[], &header.title);
    xml.text_element("updated", &[], &cap_time(updated));
    xml.empty_element(
        "link",
        &[
            ("rel", "self"),
            ("type", "application/atom+xml"),
            ("href", &header.self_url),
        ],
    );
    xml.open("author", &[]);
    xml.text_element("name", &[], &header.author);
    xml.close();
    for entry in current {
        xml.open("entry", &[]);
        xml.text_element("id", &[], &entry.identifier);
        xml.text_element("title", &[], &entry.title);
        xml.text_element("updated", &[], &cap_time(entry.updated));
        xml.empty_element(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "application/cap+xml"),
                ("href", &entry.cap_url),
            ],
        );
        if let Some(summary) = &entry.summary {
            xml.text_element("summary", &[], summary);
        }
        xml.close();
    }
    xml.finish()
}
