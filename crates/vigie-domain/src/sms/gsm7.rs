//! Counting what an SMS costs, and keeping replies in the GSM-7 alphabet.
//!
//! An SMS carries 140 bytes: 160 characters of the GSM 03.38 7-bit alphabet, or 70 UTF-16
//! units once a single character falls outside it (UCS-2). Several French letters (ê, â, î,
//! ô, û, ç) and every Bambara letter (ɛ, ɔ, ɲ, ŋ) are outside, so one careless `ç` more than
//! doubles the price of a reply and may split it. Long messages travel in parts of 153 GSM-7
//! septets or 67 UCS-2 units (the rest of each part holds the concatenation header).

/// The GSM 03.38 basic character set (one septet each), without the escape code.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: each costs two septets (the escape code, then the character).
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Septets in a single-part GSM-7 message.
pub const GSM7_SINGLE_SEPTETS: usize = 160;
/// Septets in each part of a concatenated GSM-7 message.
pub const GSM7_PART_SEPTETS: usize = 153;
/// UTF-16 units in a single-part UCS-2 message.
pub const UCS2_SINGLE_UNITS: usize = 70;
/// UTF-16 units in each part of a concatenated UCS-2 message.
pub const UCS2_PART_UNITS: usize = 67;

/// How a message is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmsEncoding {
    /// The GSM 03.38 7-bit alphabet.
    Gsm7,
    /// UCS-2 (UTF-16), used as soon as one character is outside GSM-7.
    Ucs2,
}

fn is_basic(character: char) -> bool {
    BASIC.contains(character)
}

fn is_extension(character: char) -> bool {
    EXTENSION.contains(character)
}

/// The septets one GSM-7 character costs: 1 in the basic set, 2 in the extension table, `None`
/// outside GSM-7.
fn septet_cost(character: char) -> Option<usize> {
    // ASCII is almost every character of a message: answer it without searching the tables
    // (the test below checks this against them).
    if character.is_ascii() {
        return match character {
            'a'..='z' | 'A'..='Z' | '0'..='9' => Some(1),
            ' ' | '!' | '"' | '#' | '$' | '%' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | '-'
            | '.' | '/' | ':' | ';' | '<' | '=' | '>' | '?' | '@' | '_' | '\n' | '\r' => Some(1),
            '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '\u{c}' => Some(2),
            _ => None,
        };
    }
    septet_cost_from_tables(character)
}

fn septet_cost_from_tables(character: char) -> Option<usize> {
    if is_basic(character) {
        Some(1)
    } else if is_extension(character) {
        Some(2)
    } else {
        None
    }
}

/// Whether every character of `text` is in the GSM-7 alphabet (basic set or extension).
///
/// ```
/// use vigie_domain::sms::gsm7::is_gsm7;
/// assert!(is_gsm7("Réf R12. Merci. [ok] €"));
/// assert!(!is_gsm7("alerte reçue"));
/// ```
pub fn is_gsm7(text: &str) -> bool {
    text.chars()
        .all(|character| septet_cost(character).is_some())
}

/// Septets `text` takes in GSM-7: extension characters count 2. Characters outside GSM-7
/// count 1 each (check [`is_gsm7`] first: such text is sent as UCS-2).
///
/// ```
/// use vigie_domain::sms::gsm7::septets;
/// assert_eq!(septets("abc"), 3);
/// assert_eq!(septets("a€"), 3);
/// ```
pub fn septets(text: &str) -> usize {
    text.chars()
        .map(|character| septet_cost(character).unwrap_or(1))
        .sum()
}

/// The encoding `text` needs and how many SMS parts it takes (an empty message still takes
/// one). A two-septet extension character or a surrogate pair is never split across parts.
///
/// ```
/// use vigie_domain::sms::gsm7::{segments, SmsEncoding};
/// assert_eq!(segments(&"a".repeat(160)), (SmsEncoding::Gsm7, 1));
/// assert_eq!(segments(&"a".repeat(161)), (SmsEncoding::Gsm7, 2));
/// assert_eq!(segments("reçue"), (SmsEncoding::Ucs2, 1));
/// ```
pub fn segments(text: &str) -> (SmsEncoding, usize) {
    if is_gsm7(text) {
        let costs = text.chars().filter_map(septet_cost);
        let parts = count_parts(costs, GSM7_SINGLE_SEPTETS, GSM7_PART_SEPTETS);
        (SmsEncoding::Gsm7, parts)
    } else {
        let costs = text.chars().map(char::len_utf16);
        let parts = count_parts(costs, UCS2_SINGLE_UNITS, UCS2_PART_UNITS);
        (SmsEncoding::Ucs2, parts)
    }
}

fn count_parts(costs: impl Iterator<Item = usize> + Clone, single: usize, part: usize) -> usize {
    let total: usize = costs.clone().sum();
    if total <= single {
        return 1;
    }
    let mut parts = 1;
    let mut used = 0;
    for cost in costs {
        if used + cost > part {
            parts += 1;
            used = 0;
        }
        used += cost;
    }
    parts
}

/// The closest GSM-7 spelling of `text`: accented letters outside GSM-7 lose their accent
/// (ê → e, ç → c), ligatures open (œ → oe), typographic quotes and dashes become plain ones,
/// Bambara letters take their usual Latin spelling (ɛ → e, ɔ → o, ɲ → ny, ŋ → ng). Letters
/// GSM-7 has (é è à ù ì ò É Ç Ä Ö Ñ Ü …) stay. Control characters become spaces (line feed
/// and carriage return stay); anything else is transliterated to ASCII or dropped.
///
/// ```
/// use vigie_domain::sms::gsm7::transliterate;
/// assert_eq!(transliterate("alerte reçue – Ségou «ok»"), "alerte recue - Ségou \"ok\"");
/// assert_eq!(transliterate("Ɲɛgɛ ŋ"), "Nyege ng");
/// ```
pub fn transliterate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if septet_cost(character).is_some() {
            out.push(character);
            continue;
        }
        if let Some(replacement) = closest_gsm7(character) {
            out.push_str(replacement);
            continue;
        }
        if character.is_control() || character.is_whitespace() {
            out.push(' ');
            continue;
        }
        if let Some(ascii) = deunicode::deunicode_char(character) {
            // deunicode answers in ASCII; the few ASCII characters GSM-7 lacks are mapped.
            for ascii_character in ascii.chars() {
                match ascii_character {
                    '`' => out.push('\''),
                    other if septet_cost(other).is_some() => out.push(other),
                    _ => {}
                }
            }
        }
    }
    out
}

/// Explicit mappings for letters French and Bambara writers use; the rest goes through
/// deunicode.
fn closest_gsm7(character: char) -> Option<&'static str> {
    let replacement = match character {
        'ê' | 'ë' | 'ē' => "e",
        'â' | 'á' | 'ã' | 'ā' => "a",
        'î' | 'ï' | 'í' | 'ī' => "i",
        'ô' | 'ó' | 'õ' | 'ō' => "o",
        'û' | 'ú' | 'ū' => "u",
        'ç' => "c",
        'ÿ' => "y",
        'È' | 'Ê' | 'Ë' => "E",
        'À' | 'Â' | 'Á' | 'Ã' => "A",
        'Î' | 'Ï' | 'Í' | 'Ì' => "I",
        'Ô' | 'Ó' | 'Ò' | 'Õ' => "O",
        'Û' | 'Ù' | 'Ú' => "U",
        'Ÿ' => "Y",
        'œ' => "oe",
        'Œ' => "OE",
        '’' | '‘' | '‚' | '′' | 'ʼ' => "'",
        '«' | '»' | '“' | '”' | '„' | '″' => "\"",
        '–' | '—' | '‐' | '‑' | '−' => "-",
        '…' => "...",
        '\u{a0}' | '\u{202f}' | '\u{2009}' | '\t' => " ",
        'ɛ' => "e",
        'Ɛ' => "E",
        'ɔ' => "o",
        'Ɔ' => "O",
        'ɲ' => "ny",
        'Ɲ' => "Ny",
        'ŋ' => "ng",
        'Ŋ' => "Ng",
        _ => return None,
    };
    Some(replacement)
}

/// `text` transliterated to GSM-7 and cut, if it must be, to one SMS (160 septets), ending with
/// `...` where it was cut.
///
/// ```
/// use vigie_domain::sms::gsm7::{fit_one_segment, segments, SmsEncoding};
/// let long = "ç".repeat(400);
/// assert_eq!(segments(&fit_one_segment(&long)), (SmsEncoding::Gsm7, 1));
/// ```
pub fn fit_one_segment(text: &str) -> String {
    let gsm = transliterate(text);
    if septets(&gsm) <= GSM7_SINGLE_SEPTETS {
        return gsm;
    }
    let mut cut = truncate_to_septets(&gsm, GSM7_SINGLE_SEPTETS - 3);
    cut.push_str("...");
    cut
}

/// The longest prefix of `text` (GSM-7) that fits in `budget` septets.
pub(crate) fn truncate_to_septets(text: &str, budget: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    for character in text.chars() {
        let cost = septet_cost(character).unwrap_or(1);
        if used + cost > budget {
            break;
        }
        used += cost;
        out.push(character);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_shortcut_agrees_with_the_tables() {
        for code in 0u8..128 {
            let character = char::from(code);
            assert_eq!(
                septet_cost(character),
                septet_cost_from_tables(character),
                "{character:?}"
            );
        }
    }

    #[test]
    fn the_alphabet_has_128_basic_characters_and_ten_extensions() {
        // 128 code points minus the escape code.
        assert_eq!(BASIC.chars().count(), 127);
        assert_eq!(EXTENSION.chars().count(), 10);
        for character in "éèàùìòÉÇÄÖÑÜäöñü@£$¥§¿¡ΔΦΓΛΩΠΨΣΘΞ".chars()
        {
            assert!(is_gsm7(&character.to_string()), "{character}");
        }
        for character in "êâîôûçïëœ’«»–ɛɔɲŋ😀`".chars() {
            assert!(!is_gsm7(&character.to_string()), "{character}");
        }
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        assert_eq!(septets("[]{}"), 8);
        assert_eq!(septets("€"), 2);
        assert_eq!(septets("Réf R12."), 8);
        assert_eq!(septets(""), 0);
    }

    #[test]
    fn segments_follow_the_single_and_concatenated_limits() {
        assert_eq!(segments(""), (SmsEncoding::Gsm7, 1));
        assert_eq!(segments(&"a".repeat(160)), (SmsEncoding::Gsm7, 1));
        assert_eq!(segments(&"a".repeat(161)), (SmsEncoding::Gsm7, 2));
        assert_eq!(segments(&"a".repeat(306)), (SmsEncoding::Gsm7, 2));
        assert_eq!(segments(&"a".repeat(307)), (SmsEncoding::Gsm7, 3));
        assert_eq!(segments(&"€".repeat(80)), (SmsEncoding::Gsm7, 1));
        // 152 septets then a two-septet character: it cannot straddle the parts.
        let straddling = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(segments(&straddling), (SmsEncoding::Gsm7, 2));
        assert_eq!(segments(&"ç".repeat(70)), (SmsEncoding::Ucs2, 1));
        assert_eq!(segments(&"ç".repeat(71)), (SmsEncoding::Ucs2, 2));
        assert_eq!(segments(&"ç".repeat(134)), (SmsEncoding::Ucs2, 2));
        assert_eq!(segments(&"ç".repeat(135)), (SmsEncoding::Ucs2, 3));
        // An emoji is a surrogate pair: two units.
        assert_eq!(segments(&"😀".repeat(35)), (SmsEncoding::Ucs2, 1));
        assert_eq!(segments(&"😀".repeat(36)), (SmsEncoding::Ucs2, 2));
    }

    #[test]
    fn french_and_bambara_letters_transliterate_to_their_closest_gsm7_letters() {
        assert_eq!(transliterate("êâîôûçïëœ"), "eaioucieoe");
        assert_eq!(transliterate("éèàùìòÉÇ"), "éèàùìòÉÇ");
        assert_eq!(
            transliterate("l’attaque «hier» – 3"),
            "l'attaque \"hier\" - 3"
        );
        assert_eq!(transliterate("ɛɔɲŋ ƐƆƝŊ"), "eonyng EONyNg");
        assert_eq!(transliterate("Ê È À Œ"), "E E A OE");
        assert_eq!(transliterate("a\u{0}b\u{7}c\nd"), "a b c\nd");
    }

    #[test]
    fn transliteration_always_yields_gsm7() {
        let hostile = "😀🔥 <script>alert('x')</script> `tick` \u{202e}RTL ☃ 中文 ١٢٣ ßø";
        let out = transliterate(hostile);
        assert!(is_gsm7(&out), "{out}");
        for code_point in (0u32..0x3000).chain(0x1f300..0x1f700) {
            if let Some(character) = char::from_u32(code_point) {
                let out = transliterate(&character.to_string());
                assert!(is_gsm7(&out), "U+{code_point:04X} -> {out:?}");
            }
        }
    }

    #[test]
    fn fitting_cuts_to_one_segment_and_marks_the_cut() {
        let short = "Vigie: alerte reçue";
        assert_eq!(fit_one_segment(short), "Vigie: alerte recue");
        let long = "é".repeat(200);
        let fitted = fit_one_segment(&long);
        assert_eq!(septets(&fitted), 160);
        assert!(fitted.ends_with("..."));
        let braces = "{".repeat(100);
        let fitted = fit_one_segment(&braces);
        assert!(septets(&fitted) <= 160);
        assert_eq!(segments(&fitted), (SmsEncoding::Gsm7, 1));
    }
}
