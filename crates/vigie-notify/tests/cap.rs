//! CAP 1.2 messages as Vigie writes them, each validated against the official OASIS schema
//! with xmllint, and the Atom feed checked for well-formedness.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use geo_types::{Coord, LineString, Polygon};
use vigie_domain::sms::Language;
use vigie_notify::cap::*;
use vigie_notify::compose::WarningLevel;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, hour, 0, 0).unwrap()
}

fn assert_valid_cap(xml: &str) {
    if let Err(complaint) = common::xmllint(xml, Some(&common::cap_schema())) {
        panic!("not valid CAP 1.2:\n{complaint}\n{xml}");
    }
}

/// A wobbly outline of `count` vertices around Bankass (lon/lat), like a real commune's.
fn bankass_outline(count: usize) -> Polygon<f64> {
    let center = Coord { x: -3.52, y: 14.08 };
    let points: Vec<Coord<f64>> = (0..count)
        .map(|index| {
            let angle = index as f64 / count as f64 * std::f64::consts::TAU;
            let radius = 0.25 + 0.03 * (angle * 7.0).sin() + 0.01 * (angle * 31.0).cos();
            Coord {
                x: center.x + radius * angle.cos(),
                y: center.y + radius * angle.sin(),
            }
        })
        .collect();
    Polygon::new(LineString::from(points), vec![])
}

fn info(language: Language, level: WarningLevel, description: &str) -> CapInfo {
    let (event, headline) = match language {
        Language::French => (
            "Violences armées",
            "ALERTE Bankass : 5 incidents, 12 morts en 7 jours",
        ),
        Language::English => (
            "Armed violence",
            "ALERT Bankass: 5 incidents, 12 deaths in 7 days",
        ),
    };
    CapInfo {
        language,
        event: event.to_owned(),
        urgency: cap_urgency(level),
        severity: cap_severity(level),
        certainty: cap_certainty(level),
        effective: Some(at(4)),
        expires: Some(at(4) + Duration::days(7)),
        sender_name: Some("Vigie – alerte précoce Mali".to_owned()),
        headline: Some(headline.to_owned()),
        description: Some(description.to_owned()),
        instruction: Some("Éviter les déplacements non essentiels.".to_owned()),
        web: Some("https://v.ml/w/ab12".to_owned()),
        areas: vec![CapArea {
            area_desc: "Commune de Bankass, cercle de Bankass, région de Mopti".to_owned(),
            polygons: vec![CapPolygon::simplified(&bankass_outline(600), 40).unwrap()],
            circles: vec![CapCircle {
                center: Coord { x: -3.52, y: 14.08 },
                radius_km: 25.0,
            }],
            geocodes: vec![CapGeocode::pcode("ML0503")],
        }],
    }
}

fn alert(message_type: CapMessageType, scope: CapScope, infos: Vec<CapInfo>) -> CapAlert {
    CapAlert {
        identifier: "urn:vigie:ml:warning:42:1".to_owned(),
        sender: "vigie@example.org".to_owned(),
        sent: at(4),
        status: CapStatus::Actual,
        message_type,
        scope,
        note: None,
        references: vec![],
        infos,
    }
}

fn restricted() -> CapScope {
    CapScope::Restricted {
        restriction: "Comités consultatifs de sécurité".to_owned(),
    }
}

#[test]
fn an_alert_for_committees_validates_against_the_cap_schema() {
    let message = alert(
        CapMessageType::Alert,
        restricted(),
        vec![info(Language::French, WarningLevel::Alerte, "5 incidents.")],
    );
    let xml = message.to_xml().unwrap();
    assert_valid_cap(&xml);
    assert!(
        xml.contains("<sent>2026-11-22T04:00:00+00:00</sent>"),
        "{xml}"
    );
    assert!(!xml.contains("Z</"), "no Z timestamps: {xml}");
    assert!(xml.contains("<scope>Restricted</scope>"));
    assert!(xml.contains("<restriction>Comités consultatifs de sécurité</restriction>"));
    assert!(xml.contains("<language>fr-ML</language>"));
    assert!(xml.contains("<category>Security</category>"));
    assert!(xml.contains("<severity>Severe</severity>"));
    assert!(xml.contains("<valueName>P-code</valueName>"));
    assert!(xml.contains("<value>ML0503</value>"));
    // Circle: lat,lon then the radius in km.
    assert!(xml.contains("<circle>14.08,-3.52 25</circle>"), "{xml}");
}

#[test]
fn the_polygon_is_written_lat_lon_closed_and_bounded() {
    let message = alert(
        CapMessageType::Alert,
        CapScope::Public,
        vec![info(Language::French, WarningLevel::Urgence, "x")],
    );
    let xml = message.to_xml().unwrap();
    let polygon = xml
        .split("<polygon>")
        .nth(1)
        .and_then(|rest| rest.split("</polygon>").next())
        .expect("a polygon");
    let pairs: Vec<(f64, f64)> = polygon
        .split(' ')
        .map(|pair| {
            let (lat, lon) = pair.split_once(',').expect("lat,lon");
            (lat.parse().unwrap(), lon.parse().unwrap())
        })
        .collect();
    assert!(
        pairs.len() >= 4 && pairs.len() <= 40,
        "{} pairs",
        pairs.len()
    );
    assert_eq!(pairs.first(), pairs.last());
    for (lat, lon) in &pairs {
        // Bankass: latitude about 14, longitude about -3.5; swapped they would be outside.
        assert!((13.7..14.4).contains(lat), "latitude {lat}");
        assert!((-3.9..-3.1).contains(lon), "longitude {lon}");
    }
    assert!(xml.contains("<severity>Extreme</severity>"));
    assert!(xml.contains("<urgency>Immediate</urgency>"));
    assert_valid_cap(&xml);
}

#[test]
fn an_update_and_a_cancel_reference_the_earlier_messages_and_validate() {
    let first = alert(
        CapMessageType::Alert,
        CapScope::Public,
        vec![info(Language::French, WarningLevel::Vigilance, "début")],
    );
    let mut update = alert(
        CapMessageType::Update,
        CapScope::Public,
        vec![info(Language::French, WarningLevel::Alerte, "hausse")],
    );
    update.identifier = "urn:vigie:ml:warning:42:2".to_owned();
    update.sent = at(9);
    update.references = vec![first.reference()];
    let update_xml = update.to_xml().unwrap();
    assert!(
        update_xml.contains(
            "<references>vigie@example.org,urn:vigie:ml:warning:42:1,2026-11-22T04:00:00+00:00</references>"
        ),
        "{update_xml}"
    );
    assert!(update_xml.contains("<msgType>Update</msgType>"));
    assert_valid_cap(&update_xml);

    let mut cancel = alert(CapMessageType::Cancel, CapScope::Public, vec![]);
    cancel.identifier = "urn:vigie:ml:warning:42:3".to_owned();
    cancel.sent = at(20);
    cancel.references = vec![first.reference(), update.reference()];
    let cancel_xml = cancel.to_xml().unwrap();
    assert!(cancel_xml.contains("<msgType>Cancel</msgType>"));
    assert!(cancel_xml.contains(
        ",urn:vigie:ml:warning:42:1,2026-11-22T04:00:00+00:00 vigie@example.org,urn:vigie:ml:warning:42:2,2026-11-22T09:00:00+00:00<"
    ));
    assert_valid_cap(&cancel_xml);
}

#[test]
fn an_update_without_references_is_refused() {
    let update = alert(CapMessageType::Update, CapScope::Public, vec![]);
    assert_eq!(update.to_xml(), Err(CapError::MissingReferences));
    let restricted_without_rule = alert(
        CapMessageType::Alert,
        CapScope::Restricted {
            restriction: " ".to_owned(),
        },
        vec![],
    );
    assert_eq!(
        restricted_without_rule.to_xml(),
        Err(CapError::EmptyRestriction)
    );
    let mut spaced = alert(CapMessageType::Alert, CapScope::Public, vec![]);
    spaced.identifier = "two words".to_owned();
    assert!(matches!(spaced.to_xml(), Err(CapError::BadToken { .. })));
    spaced.identifier = "a,b".to_owned();
    assert!(matches!(spaced.to_xml(), Err(CapError::BadToken { .. })));
}

#[test]
fn a_message_in_french_and_english_validates() {
    let message = alert(
        CapMessageType::Alert,
        restricted(),
        vec![
            info(Language::French, WarningLevel::Alerte, "Cinq incidents."),
            info(Language::English, WarningLevel::Alerte, "Five incidents."),
        ],
    );
    let xml = message.to_xml().unwrap();
    assert_eq!(xml.matches("<info>").count(), 2);
    assert!(xml.contains("<language>fr-ML</language>"));
    assert!(xml.contains("<language>en</language>"));
    assert_valid_cap(&xml);

    let twice_french = alert(
        CapMessageType::Alert,
        restricted(),
        vec![
            info(Language::French, WarningLevel::Alerte, "a"),
            info(Language::French, WarningLevel::Alerte, "b"),
        ],
    );
    assert_eq!(
        twice_french.to_xml(),
        Err(CapError::DuplicateLanguage("fr-ML"))
    );
}

#[test]
fn hostile_text_is_escaped_and_the_message_still_validates() {
    let hostile =
        "</description><script>alert(\"x\")</script> & 'quotes' <![CDATA[ ]]> \u{0}\u{1b} fin";
    let mut french = info(Language::French, WarningLevel::Urgence, hostile);
    french.headline = Some("<b>Bankass</b> & \"Koro\"".to_owned());
    french.areas[0].area_desc = "Bankass <&\"'>".to_owned();
    let message = alert(CapMessageType::Alert, CapScope::Public, vec![french]);
    let xml = message.to_xml().unwrap();
    assert!(!xml.contains("<script>"), "{xml}");
    assert!(xml.contains("&lt;/description&gt;&lt;script&gt;"), "{xml}");
    assert!(xml.contains("&amp; 'quotes'"));
    assert!(
        xml.contains("<areaDesc>Bankass &lt;&amp;\"'&gt;</areaDesc>"),
        "{xml}"
    );
    assert_eq!(xml.matches("<description>").count(), 1);
    assert_valid_cap(&xml);
}

#[test]
fn the_schema_check_catches_an_invalid_message() {
    // Proves the validation above can fail: `Z` timestamps are invalid CAP 1.2.
    let xml = alert(
        CapMessageType::Alert,
        CapScope::Public,
        vec![info(Language::French, WarningLevel::Alerte, "x")],
    )
    .to_xml()
    .unwrap()
    .replace(
        "2026-11-22T04:00:00+00:00</sent>",
        "2026-11-22T04:00:00Z</sent>",
    );
    assert!(common::xmllint(&xml, Some(&common::cap_schema())).is_err());
}

#[test]
fn the_atom_feed_lists_current_messages_and_is_well_formed() {
    let current = alert(
        CapMessageType::Alert,
        CapScope::Public,
        vec![info(
            Language::French,
            WarningLevel::Alerte,
            "Détails <b> & co",
        )],
    );
    let mut expired = current.clone();
    expired.identifier = "urn:vigie:ml:warning:7:1".to_owned();
    for info in &mut expired.infos {
        info.expires = Some(at(5));
    }
    let header = FeedHeader {
        id: "https://vigie.example.org/cap/feed.atom".to_owned(),
        title: "Vigie – avertissements en cours".to_owned(),
        self_url: "https://vigie.example.org/cap/feed.atom?lang=fr&x=1".to_owned(),
        author: "Vigie".to_owned(),
    };
    let entries = [
        FeedEntry::for_alert(
            &current,
            "https://vigie.example.org/cap/urn:vigie:ml:warning:42:1.xml",
        ),
        FeedEntry::for_alert(
            &expired,
            "https://vigie.example.org/cap/urn:vigie:ml:warning:7:1.xml",
        ),
    ];
    let feed = atom_feed(&header, &entries, at(12));
    common::xmllint(&feed, None).unwrap_or_else(|complaint| panic!("{complaint}\n{feed}"));
    assert!(
        feed.contains("<id>urn:vigie:ml:warning:42:1</id>"),
        "{feed}"
    );
    assert!(
        !feed.contains("warning:7:1"),
        "expired entry dropped: {feed}"
    );
    assert!(feed.contains("type=\"application/cap+xml\""));
    assert!(feed.contains("<updated>2026-11-22T04:00:00+00:00</updated>"));
    assert!(feed.contains("lang=fr&amp;x=1"));
    assert!(feed.contains("Détails &lt;b&gt; &amp; co"));
}
