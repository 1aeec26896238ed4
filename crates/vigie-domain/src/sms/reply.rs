//! What Vigie answers a monitor: an acknowledgement with the report's reference, or one
//! question. Every reply fits one GSM-7 SMS (160 septets): it is transliterated, and long
//! lists (suggestions, cercles) lose their last items before anything is cut.

use super::grammar::{Clarification, CommuneOption, SmsParse, UnderstoodReport};
use super::gsm7::{GSM7_SINGLE_SEPTETS, fit_one_segment, septets, transliterate};
use super::vocabulary::{Language, event_type_label};
use crate::ZoneRef;

/// Characters of a commune name shown in a reply; no real name comes close.
const MAX_NAME_CHARS: usize = 40;

/// The reply to a parsed report, in `language`, fitting one GSM-7 SMS.
///
/// `report_id` is the stored report's id, quoted as `Réf R<id>` in acknowledgements.
///
/// ```
/// # use vigie_domain::{Zone, ZoneId, ZoneLevel, ZoneSet};
/// # use vigie_domain::sms::{CommuneDirectory, Language, parse_report, reply_for};
/// # use geo_types::{MultiPolygon, polygon};
/// # let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// # let commune = Zone { id: ZoneId::new("ML050303").unwrap(), name: "Diallassagou".into(),
/// #     level: ZoneLevel::Commune, parent: None, geometry: MultiPolygon(vec![square]) };
/// # let zones = ZoneSet { name: "x".into(), attribution: String::new(), regions: vec![],
/// #     cercles: vec![], communes: vec![commune], corridors: vec![] };
/// let directory = CommuneDirectory::new(&zones);
/// let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
/// let parse = parse_report("ALERTE Dialassagou attaque 3 morts", &directory, today);
/// assert_eq!(
///     reply_for(&parse, Some(12), Language::French),
///     "Vigie: alerte recue - Diallassagou, attaque, 3 morts. Réf R12. Merci."
/// );
/// ```
pub fn reply_for(parse: &SmsParse, report_id: Option<i64>, language: Language) -> String {
    let text = match parse {
        SmsParse::Understood(report) => acknowledgement(report, report_id, language),
        SmsParse::Clarification(request) => question(&request.question, language),
    };
    fit_one_segment(&text)
}

fn acknowledgement(
    report: &UnderstoodReport,
    report_id: Option<i64>,
    language: Language,
) -> String {
    let commune = short_name(&report.commune.name);
    let kind = report.kind.map_or_else(
        || event_type_label(report.incident.event_type, language),
        |kind| kind.label(language),
    );
    let fatalities = report.incident.fatalities;
    let injured = report.incident.injured.unwrap_or(0);
    let mut casualties = String::new();
    match language {
        Language::French => {
            if fatalities > 0 {
                casualties.push_str(&format!(
                    ", {fatalities} {}",
                    plural(fatalities, "mort", "morts")
                ));
            }
            if injured > 0 {
                casualties.push_str(&format!(
                    ", {injured} {}",
                    plural(injured, "blessé", "blessés")
                ));
            }
            let reference = report_id.map_or(String::new(), |id| format!(" Réf R{id}."));
            format!("Vigie: alerte reçue – {commune}, {kind}{casualties}.{reference} Merci.")
        }
        Language::English => {
            if fatalities > 0 {
                casualties.push_str(&format!(", {fatalities} dead"));
            }
            if injured > 0 {
                casualties.push_str(&format!(", {injured} injured"));
            }
            let reference = report_id.map_or(String::new(), |id| format!(" Ref R{id}."));
            format!("Vigie: alert received - {commune}, {kind}{casualties}.{reference} Thank you.")
        }
    }
}

fn question(question: &Clarification, language: Language) -> String {
    match (question, language) {
        (Clarification::UnknownCommune { written, suggestions }, Language::French) => {
            let prefix = format!("Vigie: commune \"{}\" inconnue.", echo(written));
            let suffix = " Renvoyez: ALERTE <commune> <incident>";
            let names = names_of(suggestions);
            fit_list(&names, |shown| match shown {
                [] => format!("{prefix}{suffix}"),
                _ => format!("{prefix} Vouliez-vous dire {} ?{suffix}", either(shown, "ou")),
            })
        }
        (Clarification::UnknownCommune { written, suggestions }, Language::English) => {
            let prefix = format!("Vigie: unknown commune \"{}\".", echo(written));
            let suffix = " Resend: ALERT <commune> <incident>";
            let names = names_of(suggestions);
            fit_list(&names, |shown| match shown {
                [] => format!("{prefix}{suffix}"),
                _ => format!("{prefix} Did you mean {}?{suffix}", either(shown, "or")),
            })
        }
        (Clarification::AmbiguousCommune { written, options }, language) => {
            let written = echo(written);
            let cercles = option_labels(options);
            fit_list(&cercles, |shown| {
                let example = shown.first().map_or("<cercle>", String::as_str);
                match language {
                    Language::French => format!(
                        "Vigie: plusieurs communes \"{written}\". Précisez le cercle: {}. \
                         Ex: ALERTE {written} {example} <incident>",
                        shown.join(", ")
                    ),
                    Language::English => format!(
                        "Vigie: several communes named \"{written}\". Add the cercle: {}. \
                         E.g. ALERT {written} {example} <incident>",
                        shown.join(", ")
                    ),
                }
            })
        }
        (Clarification::NoCommune, Language::French) => "Vigie: commune manquante. Renvoyez: \
             ALERTE <commune> <incident>. Ex: ALERTE Bankass attaque 2 morts"
            .to_owned(),
        (Clarification::NoCommune, Language::English) => "Vigie: commune missing. Resend: \
             ALERT <commune> <incident>. E.g. ALERT Bankass attack 2 dead"
            .to_owned(),
        (Clarification::NoIncident { commune }, Language::French) => {
            let commune = short_name(&commune.name);
            format!(
                "Vigie: quel incident à {commune} ? Renvoyez: ALERTE {commune} <incident>. \
                 Ex: attaque, enlèvement, vol de bétail"
            )
        }
        (Clarification::NoIncident { commune }, Language::English) => {
            let commune = short_name(&commune.name);
            format!(
                "Vigie: what happened in {commune}? Resend: ALERT {commune} <incident>. \
                 E.g. attack, kidnapping, cattle theft"
            )
        }
        (Clarification::NotUnderstood, Language::French) => "Vigie: message non compris. \
             Envoyez: ALERTE <commune> <incident> <nombre> morts. Ex: ALERTE Bankass attaque 2 morts"
            .to_owned(),
        (Clarification::NotUnderstood, Language::English) => "Vigie: message not understood. \
             Send: ALERT <commune> <incident> <number> dead. E.g. ALERT Bankass attack 2 dead"
            .to_owned(),
    }
}

/// Builds the text with as many of `items` as fit in one SMS, dropping from the end.
fn fit_list(items: &[String], build: impl Fn(&[String]) -> String) -> String {
    let mut shown = items.len();
    loop {
        let text = build(&items[..shown]);
        if shown == 0 || septets(&transliterate(&text)) <= GSM7_SINGLE_SEPTETS {
            return text;
        }
        shown -= 1;
    }
}

fn names_of(communes: &[ZoneRef]) -> Vec<String> {
    communes
        .iter()
        .map(|commune| short_name(&commune.name))
        .collect()
}

/// How the options of an ambiguous name are told apart: their cercles, or their own names
/// when cercles are missing or shared.
fn option_labels(options: &[CommuneOption]) -> Vec<String> {
    let cercles: Vec<Option<&str>> = options
        .iter()
        .map(|option| option.cercle.as_ref().map(|cercle| cercle.name.as_str()))
        .collect();
    let distinct = cercles.iter().all(Option::is_some)
        && cercles
            .iter()
            .enumerate()
            .all(|(position, cercle)| !cercles[..position].contains(cercle));
    options
        .iter()
        .map(|option| match (&option.cercle, distinct) {
            (Some(cercle), true) => short_name(&cercle.name),
            _ => short_name(&option.commune.name),
        })
        .collect()
}

/// `A`, `A ou B`, `A, B ou C`.
fn either(names: &[String], or: &str) -> String {
    match names {
        [] => String::new(),
        [only] => only.clone(),
        [head @ .., last] => format!("{} {or} {last}", head.join(", ")),
    }
}

fn plural<'word>(count: u32, one: &'word str, many: &'word str) -> &'word str {
    if count == 1 { one } else { many }
}

fn short_name(name: &str) -> String {
    name.chars().take(MAX_NAME_CHARS).collect()
}

/// The sender's own words, safe to quote: no quotes or control characters.
fn echo(written: &str) -> String {
    written
        .chars()
        .filter(|character| !character.is_control() && *character != '"')
        .take(MAX_NAME_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::sms::gsm7::{SmsEncoding, is_gsm7, segments};
    use crate::sms::parse_report;
    use crate::sms::test_support::mali;

    fn reply(text: &str, id: Option<i64>) -> String {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let parse = parse_report(text, mali(), today);
        reply_for(&parse, id, parse.language())
    }

    #[test]
    fn acknowledgements_quote_the_reference() {
        assert_eq!(
            reply("ALERTE Dialassagou attaque 3 morts", Some(12)),
            "Vigie: alerte recue - Diallassagou, attaque, 3 morts. Réf R12. Merci."
        );
        assert_eq!(
            reply("alerte ségou affrontement 1 tué 5 blessés", Some(7)),
            "Vigie: alerte recue - Ségou Commune, affrontement, 1 mort, 5 blessés. Réf R7. Merci."
        );
        assert_eq!(
            reply("ALERT Menaka IED 4 killed", Some(3)),
            "Vigie: alert received - Ménaka, explosive device, 4 dead. Ref R3. Thank you."
        );
    }

    #[test]
    fn questions_name_what_is_missing() {
        assert_eq!(
            reply("ALERTE Dialasagu attaque", None),
            "Vigie: commune \"Dialasagu\" inconnue. Vouliez-vous dire Diallassagou ? \
             Renvoyez: ALERTE <commune> <incident>"
        );
        let ambiguous = reply("ALERTE Benkadi enlèvement", None);
        assert!(
            ambiguous.contains("Dioila, Kangaba, Kolokani, Sikasso"),
            "{ambiguous}"
        );
        assert!(reply("ALERTE attaque", None).contains("commune manquante"));
        assert!(reply("ALERTE Bankass", None).starts_with("Vigie: quel incident à Bankass ?"));
        assert!(reply("hello", None).starts_with("Vigie: message non compris"));
        assert!(reply("ALERT Bankass", None).starts_with("Vigie: what happened in Bankass?"));
    }

    #[test]
    fn every_reply_fits_one_gsm7_segment() {
        let long_name = "Zz".repeat(200);
        let texts = [
            "ALERTE Dialassagou attaque 3 morts".to_owned(),
            "ALERTE Benkadi enlèvement".to_owned(),
            "ALERTE Diédougou attaque".to_owned(),
            format!("ALERTE {long_name} attaque"),
            "ALERTE Guidimakan Keri Kaff attaque 9999 morts 9999 blessés".to_owned(),
            "ALERT Sere Moussa Ani Samo attack 20 dead 20 wounded".to_owned(),
            "😀".repeat(3_000),
            "ALERTE \"<script>\" attaque".to_owned(),
            "ALERTE Tiakadougou Dialakor".to_owned(),
        ];
        for text in &texts {
            for id in [None, Some(i64::MAX)] {
                for language in [Language::French, Language::English] {
                    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
                    let parse = parse_report(text, mali(), today);
                    let answer = reply_for(&parse, id, language);
                    assert!(is_gsm7(&answer), "{answer}");
                    assert_eq!(segments(&answer), (SmsEncoding::Gsm7, 1), "{answer}");
                    if let (SmsParse::Understood(_), Some(id)) = (&parse, id) {
                        assert!(answer.contains(&format!("R{id}")), "{answer}");
                    }
                }
            }
        }
        for entry in mali().communes() {
            let answer = reply(
                &format!("ALERTE {} attaque 12 morts 30 blessés", entry.name),
                Some(123_456),
            );
            assert_eq!(segments(&answer), (SmsEncoding::Gsm7, 1), "{answer}");
        }
    }
}
