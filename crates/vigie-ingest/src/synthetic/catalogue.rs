//! What synthetic events are made of: ACLED's types in a Sahel-like mix, the actors of the
//! Malian conflict under the names ACLED gave them at the time, fatality profiles, sources and
//! the sentences of the notes.

use chrono::NaiveDate;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use vigie_domain::EventType;

/// The parties Vigie's synthetic events involve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Party {
    Military,
    Police,
    Jihadists,
    IslamicState,
    Wagner,
    France,
    Minusma,
    DanNaAmbassagou,
    Dozo,
    FulaniMilitia,
    Unidentified,
    Civilians,
    Protesters,
    Rioters,
    Msa,
    Cma,
}

/// An actor as a row names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Actor {
    /// ACLED's actor name at the event's date.
    pub(crate) name: &'static str,
    /// ACLED's actor type code (1 state forces … 8 external forces).
    pub(crate) inter: u8,
    /// How a news report would name it in the notes.
    pub(crate) in_notes: &'static str,
}

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}

impl Party {
    /// The party as ACLED named it on `date`; `None` before it existed or after it left.
    pub(crate) fn actor(self, date: NaiveDate) -> Option<Actor> {
        let actor = |name, inter, in_notes| {
            Some(Actor {
                name,
                inter,
                in_notes,
            })
        };
        match self {
            Party::Military if date >= day(2021, 5, 25) => {
                actor("Military Forces of Mali (2021-)", 1, "Malian soldiers")
            }
            Party::Military if date >= day(2020, 8, 18) => {
                actor("Military Forces of Mali (2020-2021)", 1, "Malian soldiers")
            }
            Party::Military => actor("Military Forces of Mali (2013-2020)", 1, "Malian soldiers"),
            Party::Police if date >= day(2021, 5, 25) => {
                actor("Police Forces of Mali (2021-)", 1, "police officers")
            }
            Party::Police => actor("Police Forces of Mali (2013-2021)", 1, "police officers"),
            Party::Jihadists if date >= day(2017, 3, 2) => actor(
                "JNIM: Group for Support of Islam and Muslims",
                2,
                "JNIM militants",
            ),
            Party::Jihadists => actor("AQIM: Al Qaeda in the Islamic Maghreb", 2, "AQIM militants"),
            Party::IslamicState if date >= day(2022, 3, 21) => {
                actor("Islamic State (Sahel)", 2, "IS Sahel militants")
            }
            Party::IslamicState if date >= day(2015, 5, 15) => {
                actor("Islamic State (Greater Sahara)", 2, "ISGS militants")
            }
            Party::IslamicState => actor(
                "MUJAO: Movement for Oneness and Jihad in West Africa",
                2,
                "MUJAO militants",
            ),
            Party::Wagner if date >= day(2021, 12, 15) => {
                actor("Wagner Group", 8, "Wagner Group personnel")
            }
            Party::France if (day(2013, 1, 11)..=day(2022, 8, 15)).contains(&date) => {
                actor("Military Forces of France", 8, "French forces")
            }
            Party::Minusma if (day(2013, 7, 1)..=day(2023, 12, 31)).contains(&date) => actor(
                "MINUSMA: United Nations Multidimensional Integrated Stabilization Mission in Mali (2013-2023)",
                8,
                "MINUSMA peacekeepers",
            ),
            Party::DanNaAmbassagou if date >= day(2016, 12, 1) => {
                actor("Dan Na Ambassagou", 4, "Dan Na Ambassagou militiamen")
            }
            Party::Dozo => actor("Dozo Communal Militia (Mali)", 4, "Dozo hunters"),
            Party::FulaniMilitia => actor("Fulani Ethnic Militia (Mali)", 4, "Fulani militiamen"),
            Party::Unidentified => {
                actor("Unidentified Armed Group (Mali)", 3, "unidentified gunmen")
            }
            Party::Civilians => actor("Civilians (Mali)", 7, "civilians"),
            Party::Protesters => actor("Protesters (Mali)", 6, "protesters"),
            Party::Rioters => actor("Rioters (Mali)", 5, "rioters"),
            Party::Msa if date >= day(2016, 9, 1) => actor(
                "MSA: Movement for the Salvation of Azawad",
                2,
                "MSA fighters",
            ),
            Party::Cma if date >= day(2014, 10, 28) => {
                actor("CMA: Coordination of Azawad Movements", 2, "CMA fighters")
            }
            _ => None,
        }
    }
}

/// How many people events of a sub-event type kill: zero with some probability, else a
/// discrete Pareto draw (most events 1–2 deaths, some tens, a rare mass-casualty event).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FatalityProfile {
    zero_probability: f64,
    /// Tail index: smaller is heavier.
    alpha: f64,
    scale: f64,
}

impl FatalityProfile {
    const NONE: FatalityProfile = FatalityProfile {
        zero_probability: 1.0,
        alpha: 2.0,
        scale: 1.0,
    };

    /// Whether events of this profile never kill (arrests, peaceful protests).
    pub(crate) fn always_zero(self) -> bool {
        self.zero_probability >= 1.0
    }

    /// A draw, capped at 600 (the deadliest events in Mali's record).
    pub(crate) fn draw(self, rng: &mut ChaCha8Rng) -> u32 {
        if rng.random::<f64>() < self.zero_probability {
            return 0;
        }
        // 1 − u lies in (0, 1], so the power is finite.
        let uniform = 1.0 - rng.random::<f64>();
        let value = self.scale * uniform.powf(-1.0 / self.alpha);
        value.floor().clamp(1.0, 600.0) as u32
    }
}

/// One sub-event type with its share within its type, its parties and its sentence.
pub(crate) struct SubEvent {
    pub(crate) event_type: EventType,
    pub(crate) name: &'static str,
    pub(crate) weight: f64,
    /// (first party, second party, weight).
    pub(crate) parties: &'static [(Party, Option<Party>, f64)],
    pub(crate) fatalities: FatalityProfile,
    /// The notes' verb phrase: `{1}` and `{2}` are the parties as the notes name them.
    pub(crate) sentence: &'static str,
}

const fn profile(zero_probability: f64, alpha: f64, scale: f64) -> FatalityProfile {
    FatalityProfile {
        zero_probability,
        alpha,
        scale,
    }
}

/// The share of each event type in a Sahel-like mix (ACLED's Mali data since 2018, rounded).
pub(crate) const TYPE_SHARES: [(EventType, f64); 6] = [
    (EventType::ViolenceAgainstCivilians, 35.0),
    (EventType::Battles, 25.0),
    (EventType::ExplosionsRemoteViolence, 15.0),
    (EventType::StrategicDevelopments, 15.0),
    (EventType::Protests, 7.0),
    (EventType::Riots, 3.0),
];

/// Every sub-event type the generator writes (chemical weapons never: Mali has none).
pub(crate) const SUB_EVENTS: &[SubEvent] = &[
    SubEvent {
        event_type: EventType::Battles,
        name: "Armed clash",
        weight: 90.0,
        parties: &[
            (Party::Jihadists, Some(Party::Military), 30.0),
            (Party::IslamicState, Some(Party::Military), 10.0),
            (Party::IslamicState, Some(Party::Jihadists), 12.0),
            (Party::Military, Some(Party::Jihadists), 10.0),
            (Party::Dozo, Some(Party::Jihadists), 8.0),
            (Party::DanNaAmbassagou, Some(Party::Jihadists), 8.0),
            (Party::FulaniMilitia, Some(Party::Dozo), 5.0),
            (Party::Msa, Some(Party::IslamicState), 6.0),
            (Party::Cma, Some(Party::Military), 4.0),
            (Party::Wagner, Some(Party::Jihadists), 5.0),
            (Party::Unidentified, Some(Party::Military), 5.0),
        ],
        fatalities: profile(0.3, 1.3, 1.5),
        sentence: "{1} clashed with {2}",
    },
    SubEvent {
        event_type: EventType::Battles,
        name: "Government regains territory",
        weight: 4.0,
        parties: &[
            (Party::Military, Some(Party::Jihadists), 1.0),
            (Party::Military, Some(Party::Cma), 1.0),
        ],
        fatalities: profile(0.4, 1.3, 1.5),
        sentence: "{1} retook the locality from {2}",
    },
    SubEvent {
        event_type: EventType::Battles,
        name: "Non-state actor overtakes territory",
        weight: 6.0,
        parties: &[
            (Party::Jihadists, Some(Party::Military), 2.0),
            (Party::IslamicState, Some(Party::Msa), 1.0),
        ],
        fatalities: profile(0.4, 1.3, 1.5),
        sentence: "{1} overran a position held by {2}",
    },
    SubEvent {
        event_type: EventType::ExplosionsRemoteViolence,
        name: "Remote explosive/landmine/IED",
        weight: 60.0,
        parties: &[
            (Party::Unidentified, Some(Party::Military), 30.0),
            (Party::Jihadists, Some(Party::Military), 20.0),
            (Party::Jihadists, Some(Party::Minusma), 12.0),
            (Party::Unidentified, Some(Party::Civilians), 20.0),
        ],
        fatalities: profile(0.5, 1.5, 1.0),
        sentence: "an explosive device laid by {1} went off as {2} passed",
    },
    SubEvent {
        event_type: EventType::ExplosionsRemoteViolence,
        name: "Air/drone strike",
        weight: 20.0,
        parties: &[
            (Party::Military, Some(Party::Jihadists), 10.0),
            (Party::Military, Some(Party::IslamicState), 4.0),
            (Party::France, Some(Party::Jihadists), 4.0),
            (Party::Military, Some(Party::Civilians), 3.0),
        ],
        fatalities: profile(0.35, 1.3, 1.5),
        sentence: "{1} carried out a drone strike on {2}",
    },
    SubEvent {
        event_type: EventType::ExplosionsRemoteViolence,
        name: "Shelling/artillery/missile attack",
        weight: 15.0,
        parties: &[
            (Party::Jihadists, Some(Party::Minusma), 3.0),
            (Party::Jihadists, Some(Party::Military), 2.0),
            (Party::Jihadists, Some(Party::Civilians), 1.0),
        ],
        fatalities: profile(0.8, 1.5, 1.0),
        sentence: "{1} fired mortar shells at {2}",
    },
    SubEvent {
        event_type: EventType::ExplosionsRemoteViolence,
        name: "Suicide bomb",
        weight: 3.0,
        parties: &[
            (Party::Jihadists, Some(Party::Military), 1.0),
            (Party::Jihadists, Some(Party::Minusma), 1.0),
        ],
        fatalities: profile(0.2, 1.2, 2.0),
        sentence: "{1} drove a car bomb into a camp of {2}",
    },
    SubEvent {
        event_type: EventType::ExplosionsRemoteViolence,
        name: "Grenade",
        weight: 2.0,
        parties: &[(Party::Unidentified, Some(Party::Civilians), 1.0)],
        fatalities: profile(0.6, 2.0, 1.0),
        sentence: "{1} threw a grenade at {2}",
    },
    SubEvent {
        event_type: EventType::ViolenceAgainstCivilians,
        name: "Attack",
        weight: 75.0,
        parties: &[
            (Party::Jihadists, Some(Party::Civilians), 25.0),
            (Party::IslamicState, Some(Party::Civilians), 15.0),
            (Party::DanNaAmbassagou, Some(Party::Civilians), 10.0),
            (Party::Dozo, Some(Party::Civilians), 8.0),
            (Party::FulaniMilitia, Some(Party::Civilians), 5.0),
            (Party::Military, Some(Party::Civilians), 12.0),
            (Party::Wagner, Some(Party::Civilians), 5.0),
            (Party::Unidentified, Some(Party::Civilians), 20.0),
        ],
        fatalities: profile(0.35, 1.5, 1.0),
        sentence: "{1} attacked {2}",
    },
    SubEvent {
        event_type: EventType::ViolenceAgainstCivilians,
        name: "Abduction/forced disappearance",
        weight: 22.0,
        parties: &[
            (Party::Jihadists, Some(Party::Civilians), 5.0),
            (Party::IslamicState, Some(Party::Civilians), 2.0),
            (Party::Unidentified, Some(Party::Civilians), 3.0),
            (Party::Military, Some(Party::Civilians), 1.0),
        ],
        fatalities: profile(0.95, 2.0, 1.0),
        sentence: "{1} abducted {2}",
    },
    SubEvent {
        event_type: EventType::ViolenceAgainstCivilians,
        name: "Sexual violence",
        weight: 3.0,
        parties: &[
            (Party::Unidentified, Some(Party::Civilians), 1.0),
            (Party::Jihadists, Some(Party::Civilians), 1.0),
        ],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} sexually assaulted {2}",
    },
    SubEvent {
        event_type: EventType::StrategicDevelopments,
        name: "Looting/property destruction",
        weight: 30.0,
        parties: &[
            (Party::Jihadists, Some(Party::Civilians), 3.0),
            (Party::IslamicState, Some(Party::Civilians), 2.0),
            (Party::Unidentified, Some(Party::Civilians), 3.0),
            (Party::FulaniMilitia, Some(Party::Civilians), 1.0),
        ],
        fatalities: profile(0.97, 2.0, 1.0),
        sentence: "{1} looted shops and drove off cattle belonging to {2}",
    },
    SubEvent {
        event_type: EventType::StrategicDevelopments,
        name: "Arrests",
        weight: 15.0,
        parties: &[
            (Party::Military, Some(Party::Civilians), 2.0),
            (Party::Police, Some(Party::Civilians), 1.0),
        ],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} arrested several {2} suspected of links with armed groups",
    },
    SubEvent {
        event_type: EventType::StrategicDevelopments,
        name: "Change to group/activity",
        weight: 15.0,
        parties: &[
            (Party::Jihadists, None, 2.0),
            (Party::IslamicState, None, 1.0),
        ],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} imposed a blockade on the roads leading to the locality",
    },
    SubEvent {
        event_type: EventType::StrategicDevelopments,
        name: "Agreement",
        weight: 10.0,
        parties: &[
            (Party::Jihadists, Some(Party::Dozo), 1.0),
            (Party::Jihadists, Some(Party::Civilians), 1.0),
        ],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} and {2} agreed a local truce",
    },
    SubEvent {
        event_type: EventType::StrategicDevelopments,
        name: "Disrupted weapons use",
        weight: 10.0,
        parties: &[(Party::Military, None, 2.0), (Party::Minusma, None, 1.0)],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} found and defused an explosive device",
    },
    SubEvent {
        event_type: EventType::StrategicDevelopments,
        name: "Headquarters or base established",
        weight: 5.0,
        parties: &[(Party::Military, None, 1.0), (Party::Wagner, None, 1.0)],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} set up a new base",
    },
    SubEvent {
        event_type: EventType::StrategicDevelopments,
        name: "Non-violent transfer of territory",
        weight: 5.0,
        parties: &[
            (Party::Minusma, Some(Party::Military), 1.0),
            (Party::France, Some(Party::Military), 1.0),
        ],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} handed over their camp to {2}",
    },
    SubEvent {
        event_type: EventType::StrategicDevelopments,
        name: "Other",
        weight: 10.0,
        parties: &[(Party::Jihadists, None, 1.0)],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} preached in the village mosque and warned residents against cooperating with the army",
    },
    SubEvent {
        event_type: EventType::Protests,
        name: "Peaceful protest",
        weight: 85.0,
        parties: &[(Party::Protesters, None, 1.0)],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} marched to demand better protection against armed groups",
    },
    SubEvent {
        event_type: EventType::Protests,
        name: "Protest with intervention",
        weight: 10.0,
        parties: &[(Party::Protesters, Some(Party::Police), 1.0)],
        fatalities: FatalityProfile::NONE,
        sentence: "{1} blocking the main road were dispersed with tear gas by {2}",
    },
    SubEvent {
        event_type: EventType::Protests,
        name: "Excessive force against protesters",
        weight: 5.0,
        parties: &[
            (Party::Protesters, Some(Party::Police), 1.0),
            (Party::Protesters, Some(Party::Military), 1.0),
        ],
        fatalities: profile(0.5, 2.0, 1.0),
        sentence: "{2} opened fire on {1}",
    },
    SubEvent {
        event_type: EventType::Riots,
        name: "Violent demonstration",
        weight: 60.0,
        parties: &[
            (Party::Rioters, None, 2.0),
            (Party::Rioters, Some(Party::Police), 1.0),
        ],
        fatalities: profile(0.9, 2.0, 1.0),
        sentence: "{1} burned tyres and threw stones at the town hall",
    },
    SubEvent {
        event_type: EventType::Riots,
        name: "Mob violence",
        weight: 40.0,
        parties: &[(Party::Rioters, Some(Party::Civilians), 1.0)],
        fatalities: profile(0.6, 2.0, 1.0),
        sentence: "{1} beat {2} accused of theft",
    },
];

/// Associated actors ACLED adds to some parties.
pub(crate) fn associated(party: Party, rng: &mut ChaCha8Rng) -> &'static str {
    const COMMUNITIES: [&str; 5] = [
        "Fulani Ethnic Group (Mali)",
        "Dogon Ethnic Group (Mali)",
        "Bambara Ethnic Group (Mali)",
        "Tuareg Ethnic Group (Mali)",
        "Fulani Ethnic Group (Mali); Muslim Group (Mali)",
    ];
    const PROTESTERS: [&str; 4] = [
        "Students (Mali)",
        "Women (Mali)",
        "Traders (Mali)",
        "Labour Group (Mali); Teachers (Mali)",
    ];
    match party {
        Party::Civilians if rng.random_bool(0.4) => {
            COMMUNITIES[rng.random_range(0..COMMUNITIES.len())]
        }
        Party::Protesters if rng.random_bool(0.5) => {
            PROTESTERS[rng.random_range(0..PROTESTERS.len())]
        }
        Party::Jihadists if rng.random_bool(0.1) => "Katiba Macina",
        _ => "",
    }
}

/// Where ACLED's reports come from: one or two sources, and their scale.
pub(crate) fn sources(rng: &mut ChaCha8Rng) -> (String, &'static str) {
    const SOURCES: [&str; 11] = [
        "Studio Tamani",
        "Le Republicain (Mali)",
        "Malijet",
        "Menastream",
        "Twitter",
        "Xinhua",
        "AFP",
        "Jeune Afrique",
        "Malian Armed Forces",
        "MINUSMA",
        "Local Source Project",
    ];
    const SCALES: [&str; 6] = [
        "National",
        "Subnational",
        "New media",
        "International",
        "Local partner-Other",
        "National-International",
    ];
    let first = SOURCES[rng.random_range(0..SOURCES.len())];
    let source = if rng.random_bool(0.35) {
        let second = SOURCES[rng.random_range(0..SOURCES.len())];
        if second == first {
            first.to_owned()
        } else {
            format!("{first}; {second}")
        }
    } else {
        first.to_owned()
    };
    (source, SCALES[rng.random_range(0..SCALES.len())])
}

/// Event types Vigie has never met, as a hand-edited file might carry.
pub(crate) const UNKNOWN_EVENT_TYPES: [&str; 4] = [
    "Banditry",
    "Cattle rustling",
    "Battle",
    "Intercommunal violence",
];

/// ACLED's pre-2019 label for a current type and sub-event type.
pub(crate) fn legacy_label(event_type: EventType, sub_event_type: &str) -> &'static str {
    match (event_type, sub_event_type) {
        (EventType::Battles, "Government regains territory") => {
            "Battle-Government regains territory"
        }
        (EventType::Battles, "Non-state actor overtakes territory") => {
            "Battle-Non-state actor overtakes territory"
        }
        (EventType::Battles, _) => "Battle-No change of territory",
        (EventType::ExplosionsRemoteViolence, _) => "Remote violence",
        (EventType::ViolenceAgainstCivilians, _) => "Violence against civilians",
        (EventType::Protests | EventType::Riots, _) => "Riots/Protests",
        (EventType::StrategicDevelopments, "Non-violent transfer of territory") => {
            "Non-violent transfer of territory"
        }
        (EventType::StrategicDevelopments, "Headquarters or base established") => {
            "Headquarters or base established"
        }
        (EventType::StrategicDevelopments, _) => "Strategic development",
    }
}
