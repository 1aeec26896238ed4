//! The words monitors use, and what they mean in ACLED's taxonomy.
//!
//! Every word is written here in its folded form ([`crate::fold_name`]: ASCII, lowercase,
//! letters and digits only), because the grammar compares folded tokens: `Enlèvement`,
//! `ENLEVEMENT` and `enlevement` are one word to it.
//!
//! | words (French · English)                                                | ACLED event type            | sub-event type                   |
//! |-------------------------------------------------------------------------|-----------------------------|----------------------------------|
//! | attaque, tuerie, massacre · attack                                       | Violence against civilians  | Attack                           |
//! | affrontement, combat, accrochage · clash, fighting                       | Battles                     | Armed clash                      |
//! | enlèvement, enlevé, rapt · kidnapping, abduction                         | Violence against civilians  | Abduction/forced disappearance   |
//! | vol de bétail, razzia · cattle theft, livestock theft                    | Strategic developments      | Looting/property destruction     |
//! | engin explosif, EEI, mine, explosion · IED                               | Explosions/Remote violence  | Remote explosive/landmine/IED    |
//! | incendie, brûlé · fire, arson                                            | Strategic developments      | Looting/property destruction     |
//! | menace, intimidation · threat                                            | Strategic developments      | Other                            |
//! | déplacement, fuite · displacement, fled                                  | Strategic developments      | Other                            |
//! | manifestation · protest                                                  | Protests                    | Peaceful protest                 |
//! | viol · rape                                                              | Violence against civilians  | Sexual violence                  |
//!
//! Plurals and participles are listed with each word. Casualties are a number (digits, or a
//! French or English word up to twenty) followed within three words by a death word (`morts`,
//! `tués`, `décès`, `killed`, `dead`…) or an injury word (`blessés`, `injured`, `wounded`).

use serde::{Deserialize, Serialize};

use crate::EventType;

use IncidentKind as K;
use WordLanguage::{Either as ANY, English as EN, French as FR};

/// The language a report is written in, and its reply goes out in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    /// French, the default: Mali's administrative language.
    #[default]
    #[serde(rename = "fr")]
    French,
    /// English.
    #[serde(rename = "en")]
    English,
}

impl Language {
    /// The ISO 639-1 code: `fr` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Language::French => "fr",
            Language::English => "en",
        }
    }

    /// The language with this ISO 639-1 code (`fr`, `en`, any case).
    ///
    /// ```
    /// use vigie_domain::sms::Language;
    /// assert_eq!(Language::from_code("EN"), Some(Language::English));
    /// assert_eq!(Language::from_code("bm"), None);
    /// ```
    pub fn from_code(code: &str) -> Option<Language> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Language::French),
            "en" => Some(Language::English),
            _ => None,
        }
    }
}

/// What kind of incident a report describes: the concepts monitors name, each mapped onto
/// ACLED's taxonomy (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// An attack on people, a killing, a massacre.
    Attack,
    /// Fighting between armed groups or with the army.
    ArmedClash,
    /// A kidnapping or abduction.
    Abduction,
    /// Cattle rustling, a raid on herds.
    LivestockTheft,
    /// An improvised explosive device, a mine, an explosion.
    ExplosiveDevice,
    /// Houses, granaries or a village set on fire.
    Arson,
    /// Threats or intimidation.
    Threat,
    /// People fleeing or displaced.
    Displacement,
    /// A demonstration.
    Protest,
    /// Rape or other sexual violence.
    SexualViolence,
}

impl IncidentKind {
    /// Every kind, in the order of the module table.
    pub const ALL: [IncidentKind; 10] = [
        IncidentKind::Attack,
        IncidentKind::ArmedClash,
        IncidentKind::Abduction,
        IncidentKind::LivestockTheft,
        IncidentKind::ExplosiveDevice,
        IncidentKind::Arson,
        IncidentKind::Threat,
        IncidentKind::Displacement,
        IncidentKind::Protest,
        IncidentKind::SexualViolence,
    ];

    /// ACLED's event type and sub-event type for this kind.
    ///
    /// ```
    /// use vigie_domain::{EventType, sms::IncidentKind};
    /// assert_eq!(
    ///     IncidentKind::ExplosiveDevice.acled(),
    ///     (EventType::ExplosionsRemoteViolence, "Remote explosive/landmine/IED")
    /// );
    /// ```
    pub fn acled(self) -> (EventType, &'static str) {
        match self {
            IncidentKind::Attack => (EventType::ViolenceAgainstCivilians, "Attack"),
            IncidentKind::ArmedClash => (EventType::Battles, "Armed clash"),
            IncidentKind::Abduction => (
                EventType::ViolenceAgainstCivilians,
                "Abduction/forced disappearance",
            ),
            IncidentKind::LivestockTheft | IncidentKind::Arson => (
                EventType::StrategicDevelopments,
                "Looting/property destruction",
            ),
            IncidentKind::ExplosiveDevice => (
                EventType::ExplosionsRemoteViolence,
                "Remote explosive/landmine/IED",
            ),
            IncidentKind::Threat | IncidentKind::Displacement => {
                (EventType::StrategicDevelopments, "Other")
            }
            IncidentKind::Protest => (EventType::Protests, "Peaceful protest"),
            IncidentKind::SexualViolence => {
                (EventType::ViolenceAgainstCivilians, "Sexual violence")
            }
        }
    }

    /// The word replies use for this kind.
    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (IncidentKind::Attack, Language::French) => "attaque",
            (IncidentKind::Attack, Language::English) => "attack",
            (IncidentKind::ArmedClash, Language::French) => "affrontement",
            (IncidentKind::ArmedClash, Language::English) => "armed clash",
            (IncidentKind::Abduction, Language::French) => "enlèvement",
            (IncidentKind::Abduction, Language::English) => "abduction",
            (IncidentKind::LivestockTheft, Language::French) => "vol de bétail",
            (IncidentKind::LivestockTheft, Language::English) => "cattle theft",
            (IncidentKind::ExplosiveDevice, Language::French) => "engin explosif",
            (IncidentKind::ExplosiveDevice, Language::English) => "explosive device",
            (IncidentKind::Arson, Language::French) => "incendie",
            (IncidentKind::Arson, Language::English) => "arson",
            (IncidentKind::Threat, Language::French) => "menace",
            (IncidentKind::Threat, Language::English) => "threat",
            (IncidentKind::Displacement, Language::French) => "déplacement",
            (IncidentKind::Displacement, Language::English) => "displacement",
            (IncidentKind::Protest, Language::French) => "manifestation",
            (IncidentKind::Protest, Language::English) => "protest",
            (IncidentKind::SexualViolence, Language::French) => "violence sexuelle",
            (IncidentKind::SexualViolence, Language::English) => "sexual violence",
        }
    }

    /// The kind a structured form names: one of this table's words (`attaque`, `IED`…) or an
    /// ACLED sub-event label this table produces (`Armed clash`).
    pub fn from_word(text: &str) -> Option<IncidentKind> {
        let folded: Vec<String> = text.split_whitespace().map(crate::fold_name).collect();
        let words: Vec<&str> = folded.iter().map(String::as_str).collect();
        if let Some(phrase) = INCIDENT_PHRASES.iter().find(|phrase| phrase.words == words) {
            return Some(phrase.kind);
        }
        IncidentKind::ALL.into_iter().find(|kind| {
            kind.label(Language::English)
                .eq_ignore_ascii_case(text.trim())
                || crate::fold_name(kind.label(Language::French)) == crate::fold_name(text)
        })
    }
}

/// How a reply names an ACLED event type when no incident word was given.
pub(crate) fn event_type_label(event_type: EventType, language: Language) -> &'static str {
    match (event_type, language) {
        (EventType::Battles, Language::French) => "affrontement",
        (EventType::ExplosionsRemoteViolence, Language::French) => "explosion",
        (EventType::ViolenceAgainstCivilians, Language::French) => "violence contre des civils",
        (EventType::Protests, Language::French) => "manifestation",
        (EventType::Riots, Language::French) => "émeute",
        (EventType::StrategicDevelopments, Language::French) => "fait notable",
        (EventType::Battles, Language::English) => "battle",
        (EventType::ExplosionsRemoteViolence, Language::English) => "explosion",
        (EventType::ViolenceAgainstCivilians, Language::English) => "violence against civilians",
        (EventType::Protests, Language::English) => "protest",
        (EventType::Riots, Language::English) => "riot",
        (EventType::StrategicDevelopments, Language::English) => "strategic development",
    }
}

/// Which language a word signals, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WordLanguage {
    French,
    English,
    /// Used alike in both (`massacre`, `explosion`, `mine`).
    Either,
}

/// A phrase naming an incident, as folded words.
pub(crate) struct IncidentPhrase {
    pub words: &'static [&'static str],
    pub kind: IncidentKind,
    pub language: WordLanguage,
}

const fn phrase(
    words: &'static [&'static str],
    kind: IncidentKind,
    language: WordLanguage,
) -> IncidentPhrase {
    IncidentPhrase {
        words,
        kind,
        language,
    }
}

/// Every incident phrase; the grammar tries longer phrases first.
pub(crate) const INCIDENT_PHRASES: &[IncidentPhrase] = &[
    // Violence against civilians: attacks.
    phrase(&["attaque"], K::Attack, FR),
    phrase(&["attaques"], K::Attack, FR),
    phrase(&["attaquee"], K::Attack, FR),
    phrase(&["attaquees"], K::Attack, FR),
    phrase(&["tuerie"], K::Attack, FR),
    phrase(&["tueries"], K::Attack, FR),
    phrase(&["massacre"], K::Attack, ANY),
    phrase(&["massacres"], K::Attack, ANY),
    phrase(&["attack"], K::Attack, EN),
    phrase(&["attacks"], K::Attack, EN),
    phrase(&["attacked"], K::Attack, EN),
    phrase(&["killing"], K::Attack, EN),
    phrase(&["killings"], K::Attack, EN),
    // Battles.
    phrase(&["affrontement"], K::ArmedClash, FR),
    phrase(&["affrontements"], K::ArmedClash, FR),
    phrase(&["combat"], K::ArmedClash, FR),
    phrase(&["combats"], K::ArmedClash, FR),
    phrase(&["accrochage"], K::ArmedClash, FR),
    phrase(&["accrochages"], K::ArmedClash, FR),
    phrase(&["clash"], K::ArmedClash, EN),
    phrase(&["clashes"], K::ArmedClash, EN),
    phrase(&["fighting"], K::ArmedClash, EN),
    phrase(&["armed", "clash"], K::ArmedClash, EN),
    // Abductions.
    phrase(&["enlevement"], K::Abduction, FR),
    phrase(&["enlevements"], K::Abduction, FR),
    phrase(&["enleve"], K::Abduction, FR),
    phrase(&["enleves"], K::Abduction, FR),
    phrase(&["enlevee"], K::Abduction, FR),
    phrase(&["enlevees"], K::Abduction, FR),
    phrase(&["rapt"], K::Abduction, FR),
    phrase(&["kidnapping"], K::Abduction, EN),
    phrase(&["kidnapped"], K::Abduction, EN),
    phrase(&["abduction"], K::Abduction, EN),
    phrase(&["abducted"], K::Abduction, EN),
    // Livestock theft.
    phrase(&["vol", "de", "betail"], K::LivestockTheft, FR),
    phrase(&["vols", "de", "betail"], K::LivestockTheft, FR),
    phrase(&["vol", "du", "betail"], K::LivestockTheft, FR),
    phrase(&["vol", "betail"], K::LivestockTheft, FR),
    phrase(&["razzia"], K::LivestockTheft, FR),
    phrase(&["razzias"], K::LivestockTheft, FR),
    phrase(&["cattle", "theft"], K::LivestockTheft, EN),
    phrase(&["livestock", "theft"], K::LivestockTheft, EN),
    phrase(&["cattle", "rustling"], K::LivestockTheft, EN),
    // Explosions and remote violence.
    phrase(&["engin", "explosif"], K::ExplosiveDevice, FR),
    phrase(&["engins", "explosifs"], K::ExplosiveDevice, FR),
    phrase(&["eei"], K::ExplosiveDevice, FR),
    phrase(&["ied"], K::ExplosiveDevice, EN),
    phrase(&["mine"], K::ExplosiveDevice, ANY),
    phrase(&["mines"], K::ExplosiveDevice, ANY),
    phrase(&["explosion"], K::ExplosiveDevice, ANY),
    phrase(&["explosions"], K::ExplosiveDevice, ANY),
    // Arson.
    phrase(&["incendie"], K::Arson, FR),
    phrase(&["incendies"], K::Arson, FR),
    phrase(&["brule"], K::Arson, FR),
    phrase(&["brules"], K::Arson, FR),
    phrase(&["brulee"], K::Arson, FR),
    phrase(&["brulees"], K::Arson, FR),
    phrase(&["fire"], K::Arson, EN),
    phrase(&["arson"], K::Arson, EN),
    phrase(&["burned"], K::Arson, EN),
    phrase(&["burnt"], K::Arson, EN),
    // Threats.
    phrase(&["menace"], K::Threat, FR),
    phrase(&["menaces"], K::Threat, FR),
    phrase(&["intimidation"], K::Threat, ANY),
    phrase(&["intimidations"], K::Threat, ANY),
    phrase(&["threat"], K::Threat, EN),
    phrase(&["threats"], K::Threat, EN),
    phrase(&["threatened"], K::Threat, EN),
    // Displacement.
    phrase(&["deplacement"], K::Displacement, FR),
    phrase(&["deplacements"], K::Displacement, FR),
    phrase(&["deplaces"], K::Displacement, FR),
    phrase(&["fuite"], K::Displacement, FR),
    phrase(&["displacement"], K::Displacement, EN),
    phrase(&["displaced"], K::Displacement, EN),
    phrase(&["fled"], K::Displacement, EN),
    // Protests.
    phrase(&["manifestation"], K::Protest, FR),
    phrase(&["manifestations"], K::Protest, FR),
    phrase(&["protest"], K::Protest, EN),
    phrase(&["protests"], K::Protest, EN),
    // Sexual violence.
    phrase(&["viol"], K::SexualViolence, FR),
    phrase(&["viols"], K::SexualViolence, FR),
    phrase(&["rape"], K::SexualViolence, EN),
    phrase(&["raped"], K::SexualViolence, EN),
];

/// The longest phrase in [`INCIDENT_PHRASES`], in words.
pub(crate) const LONGEST_INCIDENT_PHRASE: usize = 3;

/// Whether a casualty word counts deaths or injuries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Casualty {
    Killed,
    Injured,
}

/// A casualty word, its meaning and its language.
pub(crate) fn casualty_word(folded: &str) -> Option<(Casualty, WordLanguage)> {
    let found = match folded {
        "mort" | "morts" | "morte" | "mortes" | "tue" | "tues" | "tuee" | "tuees" | "deces"
        | "decedes" | "decede" => (Casualty::Killed, FR),
        "killed" | "dead" | "deaths" | "death" | "died" | "fatalities" => (Casualty::Killed, EN),
        "blesse" | "blesses" | "blessee" | "blessees" => (Casualty::Injured, FR),
        "injured" | "wounded" | "injuries" | "hurt" => (Casualty::Injured, EN),
        _ => return None,
    };
    Some(found)
}

/// A number written as a word, up to twenty, in French or English.
pub(crate) fn number_word(folded: &str) -> Option<(u32, WordLanguage)> {
    let found = match folded {
        "zero" => (0, ANY),
        "un" | "une" => (1, FR),
        "deux" => (2, FR),
        "trois" => (3, FR),
        "quatre" => (4, FR),
        "cinq" => (5, FR),
        "six" => (6, ANY),
        "sept" => (7, FR),
        "huit" => (8, FR),
        "neuf" => (9, FR),
        "dix" => (10, FR),
        "onze" => (11, FR),
        "douze" => (12, FR),
        "treize" => (13, FR),
        "quatorze" => (14, FR),
        "quinze" => (15, FR),
        "seize" => (16, FR),
        "dixsept" => (17, FR),
        "dixhuit" => (18, FR),
        "dixneuf" => (19, FR),
        "vingt" => (20, FR),
        "one" => (1, EN),
        "two" => (2, EN),
        "three" => (3, EN),
        "four" => (4, EN),
        "five" => (5, EN),
        "seven" => (7, EN),
        "eight" => (8, EN),
        "nine" => (9, EN),
        "ten" => (10, EN),
        "eleven" => (11, EN),
        "twelve" => (12, EN),
        "thirteen" => (13, EN),
        "fourteen" => (14, EN),
        "fifteen" => (15, EN),
        "sixteen" => (16, EN),
        "seventeen" => (17, EN),
        "eighteen" => (18, EN),
        "nineteen" => (19, EN),
        "twenty" => (20, EN),
        _ => return None,
    };
    Some(found)
}

/// Words that say when it happened: days before the day of receipt.
pub(crate) fn days_ago_word(folded: &str) -> Option<(u64, WordLanguage)> {
    match folded {
        "hier" => Some((1, FR)),
        "avanthier" => Some((2, FR)),
        "aujourdhui" => Some((0, FR)),
        "yesterday" => Some((1, EN)),
        "today" => Some((0, EN)),
        _ => None,
    }
}

/// The words that open a report.
pub(crate) fn keyword(folded: &str) -> Option<WordLanguage> {
    match folded {
        "alerte" | "alertes" => Some(FR),
        "alert" | "alerts" => Some(EN),
        "incident" => Some(ANY),
        _ => None,
    }
}

/// Small words around a place name (`à Diallassagou`, `village de…`): never a commune on their
/// own, and after them even a short name counts as a place.
pub(crate) fn is_place_preposition(folded: &str) -> bool {
    matches!(
        folded,
        "a" | "au"
            | "aux"
            | "de"
            | "du"
            | "des"
            | "en"
            | "dans"
            | "pres"
            | "vers"
            | "sur"
            | "in"
            | "at"
            | "near"
            | "of"
    )
}

/// Words that may stand before a commune name without being part of it.
pub(crate) fn is_filler(folded: &str) -> bool {
    is_place_preposition(folded)
        || matches!(
            folded,
            "la" | "le"
                | "les"
                | "l"
                | "d"
                | "the"
                | "commune"
                | "village"
                | "cercle"
                | "region"
                | "localite"
                | "quartier"
                | "hameau"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_is_folded_and_maps_to_a_real_acled_sub_event() {
        for phrase in INCIDENT_PHRASES {
            assert!(phrase.words.len() <= LONGEST_INCIDENT_PHRASE);
            for word in phrase.words {
                assert_eq!(crate::fold_name(word), *word, "{word} is not folded");
            }
        }
        for kind in IncidentKind::ALL {
            let (event_type, sub_event_type) = kind.acled();
            assert_eq!(
                event_type.canonical_sub_event_type(sub_event_type),
                Some(sub_event_type),
                "{kind:?}"
            );
            assert!(
                INCIDENT_PHRASES.iter().any(|phrase| phrase.kind == kind),
                "{kind:?} has no words"
            );
        }
    }

    #[test]
    fn structured_forms_name_kinds_by_word_or_label() {
        assert_eq!(
            IncidentKind::from_word("Attaque"),
            Some(IncidentKind::Attack)
        );
        assert_eq!(
            IncidentKind::from_word("vol de bétail"),
            Some(IncidentKind::LivestockTheft)
        );
        assert_eq!(
            IncidentKind::from_word("armed clash"),
            Some(IncidentKind::ArmedClash)
        );
        assert_eq!(
            IncidentKind::from_word("enlèvement"),
            Some(IncidentKind::Abduction)
        );
        assert_eq!(IncidentKind::from_word("picnic"), None);
    }

    #[test]
    fn numbers_and_casualty_words_are_recognised() {
        assert_eq!(number_word("vingt"), Some((20, FR)));
        assert_eq!(number_word("twenty"), Some((20, EN)));
        assert_eq!(number_word("dixsept"), Some((17, FR)));
        assert_eq!(casualty_word("tues"), Some((Casualty::Killed, FR)));
        assert_eq!(casualty_word("wounded"), Some((Casualty::Injured, EN)));
        assert_eq!(casualty_word("moto"), None);
    }
}
