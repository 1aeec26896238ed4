//! The words of a warning: one SMS text and one email (subject, text part, HTML part) per
//! warning transition, in French (the default) or English. Pure: no IO, no clock.
//!
//! The SMS keeps its core (level, zone, counts, link) within one 160-character GSM-7 segment
//! for a single zone; a grouped message lists as many zones as fit the segment cap, then
//! "+N autres". With [`SmsOptions::transliterate`], letters outside GSM-7 lose their accents
//! (via [`vigie_domain::sms::gsm7::transliterate`]) so the message stays at 160 characters
//! a segment instead of 70; without it the segments are counted as UCS-2. Either way a text
//! longer than [`SmsOptions::max_segments`] is cut cleanly, with an ellipsis, before the
//! link, which always survives.

use std::fmt::Write as _;

use vigie_domain::sms::Language;
use vigie_domain::sms::gsm7::{SmsEncoding, segments, transliterate};

pub use vigie_domain::WarningLevel;

/// A level's name in capitals, as SMS and subjects show it.
///
/// ```
/// use vigie_domain::sms::Language;
/// use vigie_notify::compose::{WarningLevel, level_label};
/// assert_eq!(level_label(WarningLevel::Alerte, Language::French), "ALERTE");
/// ```
pub fn level_label(level: WarningLevel, language: Language) -> &'static str {
    match (level, language) {
        (WarningLevel::Vigilance, Language::French) => "VIGILANCE",
        (WarningLevel::Alerte, Language::French) => "ALERTE",
        (WarningLevel::Urgence, Language::French) => "URGENCE",
        (WarningLevel::Vigilance, Language::English) => "WATCH",
        (WarningLevel::Alerte, Language::English) => "ALERT",
        (WarningLevel::Urgence, Language::English) => "EMERGENCY",
    }
}

/// What happened to the warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// A new warning.
    Opened,
    /// The warning went up a level.
    Escalated,
    /// The warning went down a level.
    DeEscalated,
    /// The warning ended.
    Closed,
    /// Events that arrived late add to the warning's evidence (sent by email only).
    LateEvidence,
}

/// One zone's figures over the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneFigures {
    /// The zone's name (`Bankass`).
    pub name: String,
    /// Its P-code (`ML0503`).
    pub pcode: String,
    /// Events counted in the window.
    pub events: u32,
    /// Fatalities counted in the window.
    pub fatalities: u32,
}

/// Everything a message about one warning transition says. Several zones make a grouped
/// message (the first is listed first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningNotice {
    /// The level the warning is at (for [`Transition::Closed`], the level it had).
    pub level: WarningLevel,
    /// What happened.
    pub transition: Transition,
    /// The zones, at least one; more than one for a grouped message.
    pub zones: Vec<ZoneFigures>,
    /// The window the counts cover, in days.
    pub window_days: u32,
    /// A short link to the warning's page (`https://v.ml/w/ab12`).
    pub link: String,
    /// The recipient's language.
    pub language: Language,
}

/// How an SMS is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsOptions {
    /// Replace letters outside GSM-7 by their closest GSM-7 spelling (ç → c, ê → e).
    pub transliterate: bool,
    /// The most segments the text may take (at least 1).
    pub max_segments: usize,
}

impl Default for SmsOptions {
    /// Transliterated, one segment: the cheapest message that says everything.
    fn default() -> Self {
        SmsOptions {
            transliterate: true,
            max_segments: 1,
        }
    }
}

/// A composed SMS and what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsText {
    /// The text to send.
    pub text: String,
    /// How it travels.
    pub encoding: SmsEncoding,
    /// Segments it takes (never more than [`SmsOptions::max_segments`]).
    pub segments: usize,
    /// Zones of a grouped notice left out for lack of room (counted in "+N autres").
    pub zones_left_out: usize,
    /// Whether the text had to be cut (an ellipsis marks the place).
    pub truncated: bool,
}

fn transition_marker(transition: Transition, language: Language) -> &'static str {
    match (transition, language) {
        (Transition::Opened, _) | (Transition::Closed, _) => "",
        (Transition::LateEvidence, Language::French) => " (informations tardives)",
        (Transition::LateEvidence, Language::English) => " (late information)",
        (Transition::Escalated, Language::French) => " (hausse)",
        (Transition::DeEscalated, Language::French) => " (baisse)",
        (Transition::Escalated, Language::English) => " (raised)",
        (Transition::DeEscalated, Language::English) => " (lowered)",
    }
}

fn sms_header(notice: &WarningNotice) -> String {
    let language = notice.language;
    let level = level_label(notice.level, language);
    let marker = transition_marker(notice.transition, language);
    match (notice.transition, language) {
        (Transition::Closed, Language::French) => format!("VIGIE FIN {level}"),
        (Transition::Closed, Language::English) => format!("VIGIE END OF {level}"),
        _ => format!("VIGIE {level}{marker}"),
    }
}

/// `5 incidents, 12 morts` (French takes the singular for 0 and 1).
fn counts_long(zone: &ZoneFigures, language: Language) -> String {
    match language {
        Language::French => format!(
            "{} incident{}, {} mort{}",
            zone.events,
            plural_fr(zone.events),
            zone.fatalities,
            plural_fr(zone.fatalities)
        ),
        Language::English => format!(
            "{} incident{}, {} death{}",
            zone.events,
            plural_en(zone.events),
            zone.fatalities,
            plural_en(zone.fatalities)
        ),
    }
}

/// `5 inc. 12 morts`, for grouped messages.
fn counts_short(zone: &ZoneFigures, language: Language) -> String {
    match language {
        Language::French => format!(
            "{} inc. {} mort{}",
            zone.events,
            zone.fatalities,
            plural_fr(zone.fatalities)
        ),
        Language::English => format!(
            "{} inc. {} death{}",
            zone.events,
            zone.fatalities,
            plural_en(zone.fatalities)
        ),
    }
}

fn plural_fr(count: u32) -> &'static str {
    if count > 1 { "s" } else { "" }
}

fn plural_en(count: u32) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn window_phrase(window_days: u32, language: Language) -> String {
    match language {
        Language::French => format!("en {window_days} j."),
        Language::English => format!("in {window_days} d."),
    }
}

/// The SMS body, listing the first `listed` zones and counting the others.
fn sms_body(notice: &WarningNotice, listed: usize) -> String {
    let language = notice.language;
    let window = window_phrase(notice.window_days, language);
    if let [zone] = notice.zones.as_slice() {
        return format!(" {}: {} {window}", zone.name, counts_long(zone, language));
    }
    let mut body = match language {
        Language::French => format!(" {} zones {window}:", notice.zones.len()),
        Language::English => format!(" {} zones {window}:", notice.zones.len()),
    };
    for (index, zone) in notice.zones.iter().take(listed).enumerate() {
        if index > 0 {
            body.push(';');
        }
        let _ = write!(body, " {} {}", zone.name, counts_short(zone, language));
    }
    let left_out = notice.zones.len() - listed;
    if left_out > 0 {
        let _ = match language {
            Language::French => write!(
                body,
                "; +{left_out} autre{}",
                if left_out > 1 { "s" } else { "" }
            ),
            Language::English => write!(body, "; +{left_out} more"),
        };
    }
    body.push('.');
    body
}

fn sms_tail(notice: &WarningNotice) -> String {
    match notice.language {
        Language::French => format!(" Détails: {}", notice.link),
        Language::English => format!(" Details: {}", notice.link),
    }
}

fn prepare(text: &str, options: SmsOptions) -> String {
    if options.transliterate {
        transliterate(text)
    } else {
        text.to_owned()
    }
}

fn fits(text: &str, max_segments: usize) -> bool {
    segments(text).1 <= max_segments
}

/// The SMS for `notice`, fitted by `options`.
///
/// ```
/// use vigie_domain::sms::Language;
/// use vigie_domain::sms::gsm7::SmsEncoding;
/// use vigie_notify::compose::*;
///
/// let notice = WarningNotice {
///     level: WarningLevel::Alerte,
///     transition: Transition::Opened,
///     zones: vec![ZoneFigures { name: "Bankass".into(), pcode: "ML0503".into(), events: 5, fatalities: 12 }],
///     window_days: 7,
///     link: "https://v.ml/w/ab12".into(),
///     language: Language::French,
/// };
/// let sms = sms_text(&notice, SmsOptions::default());
/// assert_eq!(sms.text, "VIGIE ALERTE Bankass: 5 incidents, 12 morts en 7 j. Détails: https://v.ml/w/ab12");
/// assert_eq!((sms.encoding, sms.segments), (SmsEncoding::Gsm7, 1));
/// ```
pub fn sms_text(notice: &WarningNotice, options: SmsOptions) -> SmsText {
    let max_segments = options.max_segments.max(1);
    let header = sms_header(notice);
    let tail = prepare(&sms_tail(notice), options);
    let zone_count = notice.zones.len();
    let listing = |listed: usize| {
        prepare(
            &format!("{header}{}{tail}", sms_body(notice, listed)),
            options,
        )
    };
    // Every zone, when they all fit (no "+N autres" then).
    let everything = listing(zone_count.max(1));
    if fits(&everything, max_segments) {
        return finish(everything, 0, false);
    }
    // Otherwise as many as fit: a grouped message may cover a hundred communes, so the
    // listing grows one zone at a time from one and stops at the first that does not fit,
    // instead of trying every length from the longest (quadratic in the zones).
    let mut best = None;
    for listed in 1..zone_count {
        let text = listing(listed);
        if !fits(&text, max_segments) {
            break;
        }
        best = Some((text, listed));
    }
    if let Some((text, listed)) = best {
        return finish(text, zone_count - listed, false);
    }
    // Not even one zone fits (a very long name): cut the text before the link.
    let main = prepare(&format!("{header}{}", sms_body(notice, 1)), options);
    let text = cut_to_fit(&main, &tail, max_segments);
    finish(text, zone_count.saturating_sub(1), true)
}

fn finish(text: String, zones_left_out: usize, truncated: bool) -> SmsText {
    let (encoding, segment_count) = segments(&text);
    SmsText {
        text,
        encoding,
        segments: segment_count,
        zones_left_out,
        truncated,
    }
}

/// The longest clean cut of `main`, marked with an ellipsis and followed by `tail`, that fits
/// `max_segments`; the ellipsis is `...` in GSM-7 (`…` is not in its alphabet) and `…` in
/// UCS-2. When `tail` alone does not fit, the whole text is cut instead.
pub fn cut_to_fit(main: &str, tail: &str, max_segments: usize) -> String {
    let whole = format!("{main}{tail}");
    if fits(&whole, max_segments) {
        return whole;
    }
    let ellipsis = match segments(&whole).0 {
        SmsEncoding::Gsm7 => "...",
        SmsEncoding::Ucs2 => "…",
    };
    if !fits(&format!("{ellipsis}{tail}"), max_segments) {
        return cut_to_fit(&whole, "", max_segments);
    }
    let boundaries: Vec<usize> = main.char_indices().map(|(index, _)| index).collect();
    // The byte offset after the first `count` characters.
    let offset = |count: usize| boundaries.get(count).copied().unwrap_or(main.len());
    // The longest prefix that fits, by bisection: a prefix never costs more than a longer one.
    let (mut low, mut high) = (0, boundaries.len());
    while low < high {
        let middle = (low + high).div_ceil(2);
        let candidate = format!("{}{ellipsis}{tail}", main[..offset(middle)].trim_end());
        if fits(&candidate, max_segments) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    let mut prefix = &main[..offset(low)];
    // Prefer ending on a word, unless that throws away most of the room.
    if let Some(space) = prefix.rfind(' ')
        && space * 4 >= prefix.len() * 3
    {
        prefix = &prefix[..space];
    }
    format!(
        "{}{ellipsis}{tail}",
        prefix.trim_end_matches([' ', ',', ';', ':'])
    )
}

/// An email's words: subject, plain-text part and HTML part (every piece of notice text
/// HTML-escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    /// The subject, in plain UTF-8 (the SMTP channel encodes it).
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

fn transition_phrase(transition: Transition, language: Language) -> &'static str {
    match (transition, language) {
        (Transition::Opened, Language::French) => "ouverture",
        (Transition::Escalated, Language::French) => "hausse du niveau",
        (Transition::DeEscalated, Language::French) => "baisse du niveau",
        (Transition::Closed, Language::French) => "fin de l'avertissement",
        (Transition::LateEvidence, Language::French) => "informations arrivées en retard",
        (Transition::Opened, Language::English) => "opened",
        (Transition::Escalated, Language::English) => "level raised",
        (Transition::DeEscalated, Language::English) => "level lowered",
        (Transition::Closed, Language::English) => "warning closed",
        (Transition::LateEvidence, Language::English) => "late information",
    }
}

/// The email for `notice`.
///
/// ```
/// use vigie_domain::sms::Language;
/// use vigie_notify::compose::*;
///
/// let notice = WarningNotice {
///     level: WarningLevel::Urgence,
///     transition: Transition::Escalated,
///     zones: vec![ZoneFigures { name: "Koro <b>".into(), pcode: "ML0504".into(), events: 3, fatalities: 1 }],
///     window_days: 7,
///     link: "https://v.ml/w/cd34".into(),
///     language: Language::French,
/// };
/// let email = email_content(&notice);
/// assert_eq!(email.subject, "[Vigie] URGENCE (hausse du niveau) – Koro <b>");
/// assert!(email.html.contains("Koro &lt;b&gt;"));
/// assert!(!email.html.contains("<b>"));
/// ```
pub fn email_content(notice: &WarningNotice) -> EmailContent {
    let language = notice.language;
    let level = level_label(notice.level, language);
    let phrase = transition_phrase(notice.transition, language);
    let zone_names: Vec<&str> = notice.zones.iter().map(|zone| zone.name.as_str()).collect();
    let subject = match notice.zones.len() {
        1 => format!("[Vigie] {level} ({phrase}) – {}", zone_names[0]),
        count => format!(
            "[Vigie] {level} ({phrase}) – {count} zones: {}",
            zone_names.join(", ")
        ),
    };
    let (level_word, zones_word, window_sentence, details_word, footer) = match language {
        Language::French => (
            "Niveau",
            "Zones",
            format!("Sur les {} derniers jours :", notice.window_days),
            "Détails",
            "Message automatique de Vigie, service d'alerte précoce. Ne pas répondre.",
        ),
        Language::English => (
            "Level",
            "Zones",
            format!("Over the last {} days:", notice.window_days),
            "Details",
            "Automatic message from Vigie, the early-warning service. Do not reply.",
        ),
    };
    let mut text = format!("Vigie – {level} ({phrase})\n\n{level_word}: {level}\n{zones_word}:\n");
    for zone in &notice.zones {
        let _ = writeln!(
            text,
            "- {} (P-code {}): {}",
            zone.name,
            zone.pcode,
            counts_long(zone, language)
        );
    }
    let _ = write!(
        text,
        "\n{window_sentence} {}.\n{details_word}: {}\n\n-- \n{footer}\n",
        counts_total(notice),
        notice.link
    );

    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n<h1>Vigie – {level} ({phrase})</h1>\n<p>{window_sentence} {}.</p>\n<table>\n<tr><th>Zone</th><th>P-code</th><th>{}</th><th>{}</th></tr>\n",
        language.code(),
        html_escape(&subject),
        html_escape(&counts_total(notice)),
        "Incidents",
        if language == Language::French {
            "Morts"
        } else {
            "Deaths"
        },
    );
    for zone in &notice.zones {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html_escape(&zone.name),
            html_escape(&zone.pcode),
            zone.events,
            zone.fatalities
        );
    }
    html.push_str("</table>\n");
    let link = html_escape(&notice.link);
    if is_web_link(&notice.link) {
        let _ = writeln!(html, "<p>{details_word}: <a href=\"{link}\">{link}</a></p>");
    } else {
        let _ = writeln!(html, "<p>{details_word}: {link}</p>");
    }
    let _ = write!(
        html,
        "<p><small>{}</small></p>\n</body>\n</html>\n",
        html_escape(footer)
    );
    EmailContent {
        subject,
        text,
        html,
    }
}

fn counts_total(notice: &WarningNotice) -> String {
    let total = ZoneFigures {
        name: String::new(),
        pcode: String::new(),
        events: notice.zones.iter().map(|zone| zone.events).sum(),
        fatalities: notice.zones.iter().map(|zone| zone.fatalities).sum(),
    };
    counts_long(&total, notice.language)
}

/// Only http(s) links become anchors: a `javascript:` link stays inert text.
fn is_web_link(link: &str) -> bool {
    let lower = link.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// `text` safe inside HTML text and double- or single-quoted attributes.
///
/// ```
/// use vigie_notify::compose::html_escape;
/// assert_eq!(html_escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
/// ```
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}
