//! The words of a warning: SMS within their segment budget, emails with escaped HTML.

use vigie_domain::sms::Language;
use vigie_domain::sms::gsm7::{SmsEncoding, segments, septets};
use vigie_notify::compose::*;

fn zone(name: &str, pcode: &str, events: u32, fatalities: u32) -> ZoneFigures {
    ZoneFigures {
        name: name.to_owned(),
        pcode: pcode.to_owned(),
        events,
        fatalities,
    }
}

fn notice(zones: Vec<ZoneFigures>) -> WarningNotice {
    WarningNotice {
        level: WarningLevel::Alerte,
        transition: Transition::Opened,
        zones,
        window_days: 7,
        link: "https://v.ml/w/ab12".to_owned(),
        language: Language::French,
    }
}

fn options(transliterate: bool, max_segments: usize) -> SmsOptions {
    SmsOptions {
        transliterate,
        max_segments,
    }
}

#[test]
fn a_single_zone_warning_fits_one_gsm7_segment_in_french_and_english() {
    let mut warning = notice(vec![zone("Bankass", "ML0503", 5, 12)]);
    let sms = sms_text(&warning, SmsOptions::default());
    assert_eq!(
        sms.text,
        "VIGIE ALERTE Bankass: 5 incidents, 12 morts en 7 j. Détails: https://v.ml/w/ab12"
    );
    assert_eq!(
        (sms.encoding, sms.segments, sms.truncated),
        (SmsEncoding::Gsm7, 1, false)
    );

    warning.language = Language::English;
    warning.zones = vec![zone("Bankass", "ML0503", 1, 0)];
    let sms = sms_text(&warning, SmsOptions::default());
    assert_eq!(
        sms.text,
        "VIGIE ALERT Bankass: 1 incident, 0 deaths in 7 d. Details: https://v.ml/w/ab12"
    );
}

#[test]
fn each_transition_says_what_happened() {
    let mut warning = notice(vec![zone("Koro", "ML0504", 1, 1)]);
    warning.transition = Transition::Escalated;
    warning.level = WarningLevel::Urgence;
    assert!(
        sms_text(&warning, SmsOptions::default())
            .text
            .starts_with("VIGIE URGENCE (hausse) Koro: 1 incident, 1 mort en")
    );
    warning.transition = Transition::DeEscalated;
    warning.level = WarningLevel::Vigilance;
    assert!(
        sms_text(&warning, SmsOptions::default())
            .text
            .starts_with("VIGIE VIGILANCE (baisse) Koro")
    );
    warning.transition = Transition::Closed;
    assert!(
        sms_text(&warning, SmsOptions::default())
            .text
            .starts_with("VIGIE FIN VIGILANCE Koro")
    );
    warning.language = Language::English;
    assert!(
        sms_text(&warning, SmsOptions::default())
            .text
            .starts_with("VIGIE END OF WATCH Koro")
    );
}

#[test]
fn a_grouped_message_lists_what_fits_and_counts_the_rest() {
    let zones: Vec<ZoneFigures> = (0..20)
        .map(|index| {
            zone(
                &format!("Commune{index}"),
                &format!("ML05{index:02}"),
                index + 1,
                index,
            )
        })
        .collect();
    let sms = sms_text(&notice(zones), SmsOptions::default());
    assert_eq!(sms.segments, 1, "{}", sms.text);
    assert!(sms.zones_left_out > 0 && sms.zones_left_out < 20, "{sms:?}");
    assert!(
        sms.text.starts_with(
            "VIGIE ALERTE 20 zones en 7 j.: Commune0 1 inc. 0 mort; Commune1 2 inc. 1 mort;"
        ),
        "{}",
        sms.text
    );
    assert!(
        sms.text
            .contains(&format!("+{} autres.", sms.zones_left_out)),
        "{}",
        sms.text
    );
    assert!(sms.text.ends_with(" Détails: https://v.ml/w/ab12"));

    // With room for three segments, more zones are listed.
    let zones: Vec<ZoneFigures> = (0..20)
        .map(|index| zone(&format!("Commune{index}"), "ML", 1, 1))
        .collect();
    let wider = sms_text(&notice(zones), options(true, 3));
    assert!(wider.segments <= 3 && wider.segments > 1);
    assert!(wider.zones_left_out < sms.zones_left_out);
}

#[test]
fn transliteration_keeps_accented_names_in_gsm7() {
    let warning = notice(vec![zone("Façonné Ségou-Bîrgou", "ML", 2, 3)]);
    let sms = sms_text(&warning, options(true, 1));
    assert_eq!(sms.encoding, SmsEncoding::Gsm7);
    // ç and î leave, é (in GSM-7) stays.
    assert!(
        sms.text
            .contains("Faconné Ségou-Birgou: 2 incidents, 3 morts"),
        "{}",
        sms.text
    );
}

#[test]
fn without_transliteration_ucs2_segments_are_counted_and_capped() {
    let warning = notice(vec![zone("Façonné", "ML", 2, 3)]);
    // 78 characters with a ç: UCS-2, two segments of 67.
    let two = sms_text(&warning, options(false, 2));
    assert_eq!(
        (two.encoding, two.segments, two.truncated),
        (SmsEncoding::Ucs2, 2, false)
    );
    assert!(two.text.contains("Façonné"));

    let one = sms_text(&warning, options(false, 1));
    assert_eq!(
        (one.encoding, one.segments, one.truncated),
        (SmsEncoding::Ucs2, 1, true)
    );
    assert!(one.text.chars().count() <= 70);
    assert!(one.text.contains('…'), "{}", one.text);
    assert!(
        one.text.ends_with(" Détails: https://v.ml/w/ab12"),
        "the link survives: {}",
        one.text
    );
}

#[test]
fn an_overlong_name_is_cut_with_an_ellipsis_before_the_link() {
    let long_name = "Kel ".repeat(60);
    let sms = sms_text(
        &notice(vec![zone(&long_name, "ML", 1, 0)]),
        SmsOptions::default(),
    );
    assert!(sms.truncated);
    assert_eq!((sms.encoding, sms.segments), (SmsEncoding::Gsm7, 1));
    assert!(septets(&sms.text) <= 160);
    assert!(
        sms.text.ends_with("... Détails: https://v.ml/w/ab12"),
        "{}",
        sms.text
    );
    assert!(!sms.text.contains(" ..."), "clean cut: {}", sms.text);
}

#[test]
fn extension_characters_count_double_when_cutting() {
    // 100 euro signs cost 200 septets: more than one segment.
    let cut = cut_to_fit(&"€".repeat(100), " https://v.ml/w/x", 1);
    assert!(septets(&cut) <= 160, "{} septets", septets(&cut));
    assert_eq!(segments(&cut), (SmsEncoding::Gsm7, 1));
    assert!(cut.ends_with("... https://v.ml/w/x"));
    // Capped at two segments (153 septets each), it keeps more.
    let two = cut_to_fit(&"€".repeat(200), "", 2);
    assert_eq!(segments(&two), (SmsEncoding::Gsm7, 2));
    assert!(septets(&two) > 160 && septets(&two) <= 306);
}

#[test]
fn the_email_escapes_record_text_and_only_links_web_addresses() {
    let mut warning = notice(vec![
        zone("Bankass <script>alert('x')</script>", "ML0503", 5, 12),
        zone("Koro & \"Bandiagara\"", "ML0504", 2, 0),
    ]);
    warning.link = "javascript:alert(1)".to_owned();
    let email = email_content(&warning);
    assert_eq!(
        email.subject,
        "[Vigie] ALERTE (ouverture) – 2 zones: Bankass <script>alert('x')</script>, Koro & \"Bandiagara\""
    );
    assert!(!email.html.contains("<script>"), "{}", email.html);
    assert!(
        email
            .html
            .contains("Bankass &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
    );
    assert!(email.html.contains("Koro &amp; &quot;Bandiagara&quot;"));
    assert!(!email.html.contains("href=\"javascript"), "{}", email.html);
    assert!(
        email
            .text
            .contains("- Koro & \"Bandiagara\" (P-code ML0504): 2 incidents, 0 mort")
    );
    assert!(
        email
            .text
            .contains("Sur les 7 derniers jours : 7 incidents, 12 morts."),
        "{}",
        email.text
    );

    warning.link = "https://v.ml/w/ab12?a=1&b=2".to_owned();
    warning.language = Language::English;
    let email = email_content(&warning);
    assert!(
        email
            .html
            .contains("<a href=\"https://v.ml/w/ab12?a=1&amp;b=2\">"),
        "{}",
        email.html
    );
    assert!(
        email
            .text
            .contains("Over the last 7 days: 7 incidents, 12 deaths.")
    );
}
