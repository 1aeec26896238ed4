//! Reading a monitor's SMS: `ALERTE <commune> <incident> [N morts] [N blessés] [hier]`.
//!
//! The grammar is forgiving on purpose: the keyword is optional, words may come in any order,
//! case, accents and spacing do not matter, and a long commune name may carry one wrong
//! letter. It first sets aside what it recognises — the keyword, incident words, casualty
//! counts, `hier` — and looks for the commune among the words left. Anything it cannot
//! understand becomes a question back to the sender, never an error: the grammar must not
//! fail on any text, however hostile.

use chrono::{Days, NaiveDate};

use super::directory::{CommuneDirectory, CommuneEntry, CommuneLookup, Suggestions};
use super::tokens::{Token, tokenize};
use super::vocabulary::{
    Casualty, INCIDENT_PHRASES, IncidentKind, LONGEST_INCIDENT_PHRASE, Language, WordLanguage,
    casualty_word, days_ago_word, keyword, number_word,
};
use crate::{ReportedIncident, ZoneId, ZoneRef};

/// Words allowed between a number and its casualty word (`3 civils tués`).
const MAX_WORDS_BEFORE_CASUALTY_WORD: usize = 2;

/// What the grammar made of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum SmsParse {
    /// The commune and the incident are known: the report can become an event.
    Understood(UnderstoodReport),
    /// Something is missing or unclear: the sender is asked.
    Clarification(ClarificationRequest),
}

/// A report the grammar understood.
#[derive(Debug, Clone, PartialEq)]
pub struct UnderstoodReport {
    /// What it reports, in the domain's terms.
    pub incident: ReportedIncident,
    /// The incident as the monitor named it (for the acknowledgement); `None` when a form gave
    /// an ACLED event type rather than a word.
    pub kind: Option<IncidentKind>,
    /// The commune's id and display name.
    pub commune: ZoneRef,
    /// The language to answer in.
    pub language: Language,
    /// Whether the commune was found despite a misspelling.
    pub fuzzy_commune: bool,
}

/// A report the grammar could not fully understand, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ClarificationRequest {
    /// What to ask.
    pub question: Clarification,
    /// The language to ask in.
    pub language: Language,
    /// What was understood all the same (a form may complete it).
    pub understood: PartialReport,
}

/// The parts of a report understood from its words, whether or not the commune was.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialReport {
    /// The first incident word's kind.
    pub kind: Option<IncidentKind>,
    /// Deaths, when a count was given.
    pub fatalities: Option<u32>,
    /// Injured, when a count was given.
    pub injured: Option<u32>,
    /// The day it happened (the day of receipt unless `hier`…).
    pub occurred_on: NaiveDate,
}

/// What the sender is asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Clarification {
    /// The words in the commune's place name no commune.
    UnknownCommune {
        /// The words as written (at most 30 characters).
        written: String,
        /// Up to three communes with the nearest names.
        suggestions: Vec<ZoneRef>,
    },
    /// Several communes share the name; the cercle tells them apart.
    AmbiguousCommune {
        /// The name as written.
        written: String,
        /// The communes it may be, with their cercles.
        options: Vec<CommuneOption>,
    },
    /// An incident without a commune.
    NoCommune,
    /// A commune without an incident word.
    NoIncident {
        /// The commune named.
        commune: ZoneRef,
    },
    /// Nothing that looks like a report.
    NotUnderstood,
}

/// One of the communes an ambiguous name may be.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneOption {
    /// The commune.
    pub commune: ZoneRef,
    /// Its cercle, the word that tells it apart.
    pub cercle: Option<ZoneRef>,
}

impl SmsParse {
    /// The language to answer in.
    pub fn language(&self) -> Language {
        match self {
            SmsParse::Understood(report) => report.language,
            SmsParse::Clarification(request) => request.language,
        }
    }

    /// The incident, when understood.
    pub fn incident(&self) -> Option<&ReportedIncident> {
        match self {
            SmsParse::Understood(report) => Some(&report.incident),
            SmsParse::Clarification(_) => None,
        }
    }

    /// The commune the message names, when it names exactly one (even if the incident is not
    /// understood): where the report is placed.
    pub fn commune(&self) -> Option<&ZoneId> {
        match self {
            SmsParse::Understood(report) => Some(&report.commune.id),
            SmsParse::Clarification(ClarificationRequest {
                question: Clarification::NoIncident { commune },
                ..
            }) => Some(&commune.id),
            SmsParse::Clarification(_) => None,
        }
    }
}

/// Reads a report received on `received_on`; French unless the words are English.
///
/// ```
/// # use vigie_domain::{Zone, ZoneId, ZoneLevel, ZoneSet, EventType};
/// # use vigie_domain::sms::{CommuneDirectory, SmsParse, parse_report};
/// # use geo_types::{MultiPolygon, polygon};
/// # let square = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// # let commune = Zone { id: ZoneId::new("ML050303").unwrap(), name: "Diallassagou".into(),
/// #     level: ZoneLevel::Commune, parent: None, geometry: MultiPolygon(vec![square]) };
/// # let zones = ZoneSet { name: "x".into(), attribution: String::new(), regions: vec![],
/// #     cercles: vec![], communes: vec![commune], corridors: vec![] };
/// let directory = CommuneDirectory::new(&zones);
/// let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
/// let SmsParse::Understood(report) =
///     parse_report("ALERTE Dialassagou attaque 3 morts hier", &directory, today)
/// else {
///     panic!("understood")
/// };
/// assert_eq!(report.incident.commune.as_str(), "ML050303");
/// assert_eq!(report.incident.event_type, EventType::ViolenceAgainstCivilians);
/// assert_eq!(report.incident.fatalities, 3);
/// assert_eq!(report.incident.occurred_on.to_string(), "2026-11-21");
/// assert!(report.fuzzy_commune);
/// ```
pub fn parse_report(text: &str, directory: &CommuneDirectory, received_on: NaiveDate) -> SmsParse {
    parse_report_with_default(text, directory, received_on, Language::French)
}

/// [`parse_report`], answering in `default_language` when no word says which language the
/// message is in.
pub fn parse_report_with_default(
    text: &str,
    directory: &CommuneDirectory,
    received_on: NaiveDate,
    default_language: Language,
) -> SmsParse {
    let tokens = tokenize(text);
    let mut reading = Reading::new(&tokens);
    let has_keyword = reading.take_keyword();
    let days_ago = reading.take_days_ago();
    let kind = reading.take_incident();
    let casualties = reading.take_casualties();
    let language = reading.language(default_language);
    let has_intent = has_keyword || kind.is_some() || casualties.mentioned;
    let occurred_on = received_on
        .checked_sub_days(Days::new(days_ago))
        .unwrap_or(received_on);
    let understood = PartialReport {
        kind,
        fatalities: casualties.killed,
        injured: casualties.injured,
        occurred_on,
    };

    let clarify = |question| {
        SmsParse::Clarification(ClarificationRequest {
            question,
            language,
            understood: understood.clone(),
        })
    };
    // Nobody is offered names for a message that does not look like a report.
    let suggestions = if has_intent {
        Suggestions::Wanted
    } else {
        Suggestions::NotWanted
    };
    match directory.resolve(&tokens, &reading.available, suggestions) {
        CommuneLookup::Found { commune, fuzzy } => {
            let Some(kind) = kind else {
                return clarify(Clarification::NoIncident {
                    commune: commune.to_ref(),
                });
            };
            let (event_type, sub_event_type) = kind.acled();
            SmsParse::Understood(UnderstoodReport {
                incident: ReportedIncident {
                    commune: commune.id.clone(),
                    event_type,
                    sub_event_type: Some(sub_event_type.to_owned()),
                    fatalities: casualties.killed.unwrap_or(0),
                    injured: casualties.injured,
                    occurred_on,
                },
                kind: Some(kind),
                commune: commune.to_ref(),
                language,
                fuzzy_commune: fuzzy,
            })
        }
        CommuneLookup::Ambiguous {
            written,
            candidates,
        } => clarify(Clarification::AmbiguousCommune {
            written,
            options: candidates.into_iter().map(commune_option).collect(),
        }),
        CommuneLookup::Unknown {
            written,
            suggestions,
        } if has_intent => clarify(Clarification::UnknownCommune {
            written,
            suggestions: suggestions.into_iter().map(CommuneEntry::to_ref).collect(),
        }),
        CommuneLookup::Missing if has_intent => clarify(Clarification::NoCommune),
        CommuneLookup::Unknown { .. } | CommuneLookup::Missing => {
            clarify(Clarification::NotUnderstood)
        }
    }
}

fn commune_option(entry: &CommuneEntry) -> CommuneOption {
    CommuneOption {
        commune: entry.to_ref(),
        cercle: entry.cercle.clone(),
    }
}

/// The counts a message gives.
#[derive(Debug, Default)]
struct Casualties {
    killed: Option<u32>,
    injured: Option<u32>,
    mentioned: bool,
}

/// The words of a message and which of them are already understood.
struct Reading<'tokens, 'text> {
    tokens: &'tokens [Token<'text>],
    /// False for words understood as something other than a place.
    available: Vec<bool>,
    saw_french: bool,
    saw_english: bool,
}

impl<'tokens, 'text> Reading<'tokens, 'text> {
    fn new(tokens: &'tokens [Token<'text>]) -> Self {
        Reading {
            tokens,
            available: vec![true; tokens.len()],
            saw_french: false,
            saw_english: false,
        }
    }

    fn note_language(&mut self, language: WordLanguage) {
        match language {
            WordLanguage::French => self.saw_french = true,
            WordLanguage::English => self.saw_english = true,
            WordLanguage::Either => {}
        }
    }

    /// French as soon as one word is French; English when words are English and none French.
    fn language(&self, default_language: Language) -> Language {
        if self.saw_french {
            Language::French
        } else if self.saw_english {
            Language::English
        } else {
            default_language
        }
    }

    fn take_keyword(&mut self) -> bool {
        let Some(language) = self.tokens.first().and_then(|token| keyword(token.word())) else {
            return false;
        };
        self.available[0] = false;
        self.note_language(language);
        true
    }

    /// `hier`, `avant-hier`, `yesterday`: days before receipt (0 when not said).
    fn take_days_ago(&mut self) -> u64 {
        let mut days_ago = None;
        for position in 0..self.tokens.len() {
            if !self.available[position] {
                continue;
            }
            let word = self.tokens[position].word();
            let next = self.tokens.get(position + 1).map(Token::word);
            if word == "avant" && next == Some("hier") {
                self.available[position] = false;
                self.available[position + 1] = false;
                self.note_language(WordLanguage::French);
                days_ago.get_or_insert(2);
            } else if let Some((days, language)) = days_ago_word(word) {
                self.available[position] = false;
                self.note_language(language);
                days_ago.get_or_insert(days);
            }
        }
        days_ago.unwrap_or(0)
    }

    /// The first incident phrase (longest phrases first at each word); every incident phrase
    /// is set aside and counts towards the language.
    fn take_incident(&mut self) -> Option<IncidentKind> {
        let mut first = None;
        let mut position = 0;
        while position < self.tokens.len() {
            match self.incident_phrase_at(position) {
                Some((length, kind, language)) => {
                    for covered in position..position + length {
                        self.available[covered] = false;
                    }
                    self.note_language(language);
                    first.get_or_insert(kind);
                    position += length;
                }
                None => position += 1,
            }
        }
        first
    }

    fn incident_phrase_at(&self, position: usize) -> Option<(usize, IncidentKind, WordLanguage)> {
        let longest = LONGEST_INCIDENT_PHRASE.min(self.tokens.len() - position);
        for length in (1..=longest).rev() {
            let span = position..position + length;
            if !span.clone().all(|covered| self.available[covered]) {
                continue;
            }
            let words = &self.tokens[span];
            let matching = INCIDENT_PHRASES.iter().find(|phrase| {
                phrase.words.len() == length
                    && phrase
                        .words
                        .iter()
                        .zip(words)
                        .all(|(expected, token)| *expected == token.word())
            });
            if let Some(phrase) = matching {
                return Some((length, phrase.kind, phrase.language));
            }
        }
        None
    }

    /// A number at `position` (`3`, `trois`, `dix-sept`, `dix sept`): its value and how many
    /// words it takes.
    fn number_at(&self, position: usize) -> Option<(u32, usize, WordLanguage)> {
        let token = self.tokens.get(position)?;
        if let Some(value) = token.digits_value() {
            return Some((value, 1, WordLanguage::Either));
        }
        let word = token.word();
        if word == "dix"
            && let Some(next) = self.tokens.get(position + 1)
            && let Some((unit @ 7..=9, _)) = number_word(next.word())
        {
            return Some((10 + unit, 2, WordLanguage::French));
        }
        number_word(word).map(|(value, language)| (value, 1, language))
    }

    /// `N morts`, `N blessés`, `N killed`… The largest count of each kind wins: a message that
    /// repeats a toll (`3 morts dont 2 tués par balle`) must not be counted twice.
    fn take_casualties(&mut self) -> Casualties {
        let mut casualties = Casualties::default();
        let mut position = 0;
        while position < self.tokens.len() {
            let found = self
                .available
                .get(position)
                .copied()
                .unwrap_or(false)
                .then(|| self.casualty_at(position))
                .flatten();
            let Some((count, casualty, end, languages)) = found else {
                position += 1;
                continue;
            };
            for covered in position..end {
                self.available[covered] = false;
            }
            for language in languages {
                self.note_language(language);
            }
            let slot = match casualty {
                Casualty::Killed => &mut casualties.killed,
                Casualty::Injured => &mut casualties.injured,
            };
            *slot = Some(slot.map_or(count, |known| known.max(count)));
            casualties.mentioned = true;
            position = end;
        }
        // A casualty word without a number (`des morts`) is not a place either.
        for (position, token) in self.tokens.iter().enumerate() {
            if let Some((_, language)) = casualty_word(token.word())
                && self.available[position]
            {
                self.available[position] = false;
                self.note_language(language);
                casualties.mentioned = true;
            }
        }
        casualties
    }

    /// A count at `position` followed, within two words, by a casualty word: the count, its
    /// kind, the end of the phrase and the languages its words signal.
    fn casualty_at(&self, position: usize) -> Option<(u32, Casualty, usize, [WordLanguage; 2])> {
        let (count, number_words, number_language) = self.number_at(position)?;
        let after_number = position + number_words;
        let last = (after_number + MAX_WORDS_BEFORE_CASUALTY_WORD).min(self.tokens.len() - 1);
        for candidate in after_number..=last {
            if candidate >= self.tokens.len()
                || !self.available[candidate]
                || self.number_at(candidate).is_some()
            {
                return None;
            }
            if let Some((casualty, language)) = casualty_word(self.tokens[candidate].word()) {
                return Some((count, casualty, candidate + 1, [number_language, language]));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventType;
    use crate::sms::test_support::mali;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn understood(text: &str) -> UnderstoodReport {
        match parse_report(text, mali(), today()) {
            SmsParse::Understood(report) => report,
            other => panic!("{text:?} was not understood: {other:?}"),
        }
    }

    fn question(text: &str) -> ClarificationRequest {
        match parse_report(text, mali(), today()) {
            SmsParse::Clarification(request) => request,
            other => panic!("{text:?} needed no clarification: {other:?}"),
        }
    }

    #[test]
    fn the_documented_examples_are_understood() {
        let attack = understood("ALERTE Dialassagou attaque 3 morts hommes armés à moto");
        assert_eq!(attack.incident.commune.as_str(), "ML050303");
        assert_eq!(attack.commune.name, "Diallassagou");
        assert_eq!(
            attack.incident.event_type,
            EventType::ViolenceAgainstCivilians
        );
        assert_eq!(attack.incident.sub_event_type.as_deref(), Some("Attack"));
        assert_eq!(attack.incident.fatalities, 3);
        assert_eq!(attack.incident.injured, None);
        assert_eq!(attack.incident.occurred_on, today());
        assert_eq!(attack.language, Language::French);
        assert!(attack.fuzzy_commune);

        let shouted = understood("alerte  dialassagou ATTAQUE 3 MORTS");
        assert_eq!(shouted.incident, attack.incident);

        let cattle = understood("ALERT Hombori cattle theft");
        assert_eq!(cattle.incident.commune.as_str(), "ML050609");
        assert_eq!(cattle.kind, Some(IncidentKind::LivestockTheft));
        assert_eq!(cattle.incident.event_type, EventType::StrategicDevelopments);
        assert_eq!(cattle.language, Language::English);
        assert!(!cattle.fuzzy_commune);

        let abduction = understood("ALERTE Benkadi Dioila enlèvement");
        assert_eq!(abduction.incident.commune.as_str(), "ML020302");
        assert_eq!(
            abduction.incident.sub_event_type.as_deref(),
            Some("Abduction/forced disappearance")
        );

        let clash = understood("alerte ségou affrontement 2 tués 5 blessés");
        assert_eq!(clash.incident.commune.as_str(), "ML040224");
        assert_eq!(clash.incident.event_type, EventType::Battles);
        assert_eq!(
            (clash.incident.fatalities, clash.incident.injured),
            (2, Some(5))
        );

        let explosive = understood("ALERTE Koro EEI sur la route 1 mort");
        assert_eq!(explosive.incident.commune.as_str(), "ML050711");
        assert_eq!(
            explosive.incident.event_type,
            EventType::ExplosionsRemoteViolence
        );
        assert_eq!(explosive.incident.fatalities, 1);
        assert_eq!(explosive.language, Language::French);

        let ied = understood("ALERT Menaka IED 4 killed");
        assert_eq!(ied.incident.commune.as_str(), "ML070403");
        assert_eq!(ied.incident.fatalities, 4);
        assert_eq!(ied.language, Language::English);

        let fire = understood("ALERTE Tenenkou incendie de village");
        assert_eq!(fire.incident.commune.as_str(), "ML050808");
        assert_eq!(fire.kind, Some(IncidentKind::Arson));

        let threat = understood("ALERTE Bankass menace");
        assert_eq!(threat.incident.commune.as_str(), "ML050301");
        assert_eq!(threat.incident.sub_event_type.as_deref(), Some("Other"));

        let displacement = understood("ALERTE Mopti déplacement de populations");
        assert_eq!(displacement.commune.name, "Mopti Commune");
        assert_eq!(displacement.kind, Some(IncidentKind::Displacement));
    }

    #[test]
    fn every_incident_word_maps_to_its_acled_type() {
        let cases = [
            ("tuerie", EventType::ViolenceAgainstCivilians, "Attack"),
            ("massacre", EventType::ViolenceAgainstCivilians, "Attack"),
            ("combat", EventType::Battles, "Armed clash"),
            ("accrochage", EventType::Battles, "Armed clash"),
            ("clash", EventType::Battles, "Armed clash"),
            (
                "enlevé",
                EventType::ViolenceAgainstCivilians,
                "Abduction/forced disappearance",
            ),
            (
                "rapt",
                EventType::ViolenceAgainstCivilians,
                "Abduction/forced disappearance",
            ),
            (
                "kidnapping",
                EventType::ViolenceAgainstCivilians,
                "Abduction/forced disappearance",
            ),
            (
                "vol de bétail",
                EventType::StrategicDevelopments,
                "Looting/property destruction",
            ),
            (
                "razzia",
                EventType::StrategicDevelopments,
                "Looting/property destruction",
            ),
            (
                "livestock theft",
                EventType::StrategicDevelopments,
                "Looting/property destruction",
            ),
            (
                "engin explosif",
                EventType::ExplosionsRemoteViolence,
                "Remote explosive/landmine/IED",
            ),
            (
                "mine",
                EventType::ExplosionsRemoteViolence,
                "Remote explosive/landmine/IED",
            ),
            (
                "explosion",
                EventType::ExplosionsRemoteViolence,
                "Remote explosive/landmine/IED",
            ),
            (
                "brûlé",
                EventType::StrategicDevelopments,
                "Looting/property destruction",
            ),
            (
                "arson",
                EventType::StrategicDevelopments,
                "Looting/property destruction",
            ),
            ("intimidation", EventType::StrategicDevelopments, "Other"),
            ("threat", EventType::StrategicDevelopments, "Other"),
            ("fuite", EventType::StrategicDevelopments, "Other"),
            ("fled", EventType::StrategicDevelopments, "Other"),
            ("manifestation", EventType::Protests, "Peaceful protest"),
            ("protest", EventType::Protests, "Peaceful protest"),
            (
                "viol",
                EventType::ViolenceAgainstCivilians,
                "Sexual violence",
            ),
            (
                "rape",
                EventType::ViolenceAgainstCivilians,
                "Sexual violence",
            ),
            ("l'attaque", EventType::ViolenceAgainstCivilians, "Attack"),
        ];
        for (word, event_type, sub_event_type) in cases {
            let report = understood(&format!("ALERTE Bankass {word}"));
            assert_eq!(report.incident.event_type, event_type, "{word}");
            assert_eq!(
                report.incident.sub_event_type.as_deref(),
                Some(sub_event_type),
                "{word}"
            );
        }
    }

    #[test]
    fn casualties_are_counted_in_digits_and_words() {
        let cases = [
            ("attaque 3 morts", 3, None),
            ("attaque trois morts deux blessés", 3, Some(2)),
            ("attaque un mort", 1, None),
            ("attaque dix-sept tués", 17, None),
            ("attaque dix sept tués", 17, None),
            ("attaque vingt décès", 20, None),
            ("attack twelve dead four wounded", 12, Some(4)),
            ("attack 7 killed 2 injured", 7, Some(2)),
            ("attaque 3morts", 3, None),
            ("attaque 3 civils tués", 3, None),
            ("attaque", 0, None),
            ("attaque des morts", 0, None),
        ];
        for (words, killed, injured) in cases {
            let report = understood(&format!("ALERTE Bankass {words}"));
            assert_eq!(report.incident.fatalities, killed, "{words}");
            assert_eq!(report.incident.injured, injured, "{words}");
        }
    }

    #[test]
    fn yesterday_moves_the_date_back() {
        let yesterday = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        assert_eq!(
            understood("ALERTE Bankass attaque hier")
                .incident
                .occurred_on,
            yesterday
        );
        assert_eq!(
            understood("ALERT Bankass attack yesterday")
                .incident
                .occurred_on,
            yesterday
        );
        assert_eq!(
            understood("ALERTE Bankass attaque avant-hier")
                .incident
                .occurred_on,
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
        );
    }

    #[test]
    fn language_follows_the_words_and_defaults_to_french() {
        assert_eq!(
            understood("ALERT Bankass attaque").language,
            Language::French
        );
        assert_eq!(understood("Bankass attack").language, Language::English);
        assert_eq!(
            understood("INCIDENT Bankass massacre").language,
            Language::French
        );
        let english_default =
            parse_report_with_default("Bankass massacre", mali(), today(), Language::English);
        assert_eq!(english_default.language(), Language::English);
    }

    #[test]
    fn words_may_come_in_any_order() {
        assert_eq!(
            understood("attaque à Diallassagou 3 morts")
                .incident
                .commune
                .as_str(),
            "ML050303"
        );
        assert_eq!(
            understood("ALERTE hommes armés attaque Gao")
                .incident
                .commune
                .as_str(),
            "ML070103"
        );
        let no_keyword = understood("Diallassagou attaque");
        assert_eq!(no_keyword.incident.commune.as_str(), "ML050303");
        // The cercle named after a misspelt commune confirms it rather than replacing it.
        assert_eq!(
            understood("ALERTE Dialassagou Bankass attaque")
                .incident
                .commune
                .as_str(),
            "ML050303"
        );
    }

    #[test]
    fn unknown_communes_come_back_with_suggestions() {
        let request = question("ALERTE Dialasagu attaque");
        let Clarification::UnknownCommune {
            written,
            suggestions,
        } = request.question
        else {
            panic!("{request:?}");
        };
        assert_eq!(written, "Dialasagu");
        assert_eq!(suggestions[0].name, "Diallassagou");
        assert!(suggestions.len() <= 3);
    }

    #[test]
    fn shared_names_come_back_with_their_cercles() {
        let request = question("ALERTE Benkadi enlèvement");
        let Clarification::AmbiguousCommune { written, options } = request.question else {
            panic!("{request:?}");
        };
        assert_eq!(written, "Benkadi");
        let cercles: Vec<_> = options
            .iter()
            .map(|option| option.cercle.as_ref().unwrap().name.as_str())
            .collect();
        assert_eq!(cercles, ["Dioïla", "Kangaba", "Kolokani", "Sikasso"]);
    }

    #[test]
    fn missing_parts_are_asked_for() {
        assert_eq!(
            question("ALERTE attaque 3 morts").question,
            Clarification::NoCommune
        );
        let request = question("ALERTE Bankass");
        assert!(matches!(
            request.question,
            Clarification::NoIncident { ref commune } if commune.id.as_str() == "ML050301"
        ));
        assert_eq!(
            parse_report("ALERTE Bankass", mali(), today())
                .commune()
                .map(ZoneId::as_str),
            Some("ML050301")
        );
        assert_eq!(question("bonjour").question, Clarification::NotUnderstood);
        assert_eq!(question("").question, Clarification::NotUnderstood);
    }

    #[test]
    fn hostile_text_never_panics_and_is_never_understood() {
        let hostile = [
            "😀".repeat(5_000),
            "\u{0}\u{0}\u{1}\u{7f}".repeat(100),
            "<script>alert('x')</script>".into(),
            "'; DROP TABLE reports; --".into(),
            "1234567890 98765 4321".into(),
            "9".repeat(20_000),
            "a-".repeat(10_000),
            "ALERTE ".repeat(1_000),
            "attaque ".repeat(10_000),
            "\u{202e}\u{200b}\u{feff}".into(),
            "ﷺ𒐫ඞ 中文 ١٢٣".into(),
            "ALERTE 99999999999 morts".into(),
        ];
        for text in &hostile {
            let parse = parse_report(text, mali(), today());
            if let SmsParse::Understood(report) = &parse {
                panic!("hostile text understood as {report:?}");
            }
        }
    }

    #[test]
    fn a_dropped_letter_never_leads_to_a_wrong_commune() {
        for entry in mali().communes() {
            let letters: Vec<char> = entry.name.chars().collect();
            if crate::fold_name(&entry.name).len() < 6 {
                continue;
            }
            for dropped in [1, letters.len() / 2, letters.len() - 1] {
                if !letters[dropped].is_alphabetic() {
                    continue;
                }
                let mut misspelt = letters.clone();
                misspelt.remove(dropped);
                let misspelt: String = misspelt.into_iter().collect();
                let text = format!("ALERTE {misspelt} attaque");
                if let SmsParse::Understood(report) = parse_report(&text, mali(), today()) {
                    // Either the intended commune, or one whose name is exactly what was written.
                    assert!(
                        report.incident.commune == entry.id || !report.fuzzy_commune,
                        "{text} -> {} instead of {}",
                        report.commune.name,
                        entry.name
                    );
                }
            }
        }
    }

    #[test]
    fn every_commune_resolves_by_display_ascii_and_uppercase_name() {
        let directory = mali();
        for entry in directory.communes() {
            let ascii = deunicode::deunicode(&entry.name);
            for form in [entry.name.clone(), ascii.clone(), entry.name.to_uppercase()] {
                let text = format!("ALERTE {form} attaque 2 morts");
                match parse_report(&text, directory, today()) {
                    SmsParse::Understood(report) => {
                        assert_eq!(report.incident.commune, entry.id, "{text}");
                        assert!(!report.fuzzy_commune, "{text}");
                    }
                    SmsParse::Clarification(ClarificationRequest {
                        question: Clarification::AmbiguousCommune { options, .. },
                        ..
                    }) => {
                        assert!(
                            options.iter().any(|option| option.commune.id == entry.id),
                            "{text}: {options:?}"
                        );
                        let cercle = &entry.cercle.as_ref().expect("homonyms have cercles").name;
                        let with_cercle = format!("ALERTE {form} {cercle} attaque");
                        let report = match parse_report(&with_cercle, directory, today()) {
                            SmsParse::Understood(report) => report,
                            other => panic!("{with_cercle}: {other:?}"),
                        };
                        assert_eq!(report.incident.commune, entry.id, "{with_cercle}");
                    }
                    other => panic!("{text}: {other:?}"),
                }
            }
        }
    }
}
