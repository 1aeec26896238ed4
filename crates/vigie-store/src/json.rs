//! A JSON writer for the string lists SQLite stores as JSON text: an event's corridor ids,
//! written with every event of an import, and a field layout's names.
//!
//! `serde_json` would allocate a string per event and check every byte through its escape
//! table; this writer appends to a reused buffer, checks a string in one branch-free pass
//! and copies it whole, escaping only the rare string that needs it. Reading back uses
//! `serde_json`: what this writes is plain JSON.

/// Whether `text` can go between quotes as is.
fn needs_no_escape(text: &str) -> bool {
    // Byte arithmetic without an early exit, so that the loop is vectorised.
    let special = text.as_bytes().iter().fold(0_u8, |special, &byte| {
        special | u8::from(byte < 0x20) | u8::from(byte == b'"') | u8::from(byte == b'\\')
    });
    special == 0
}

/// Appends `text` as a JSON string.
pub(crate) fn push_string(out: &mut String, text: &str) {
    out.push('"');
    if needs_no_escape(text) {
        out.push_str(text);
    } else {
        for character in text.chars() {
            match character {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                control if u32::from(control) < 0x20 => {
                    out.push_str(&format!("\\u{:04x}", u32::from(control)));
                }
                other => out.push(other),
            }
        }
    }
    out.push('"');
}

/// Writes a JSON array of strings into `out` (cleared first).
pub(crate) fn write_string_array<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.clear();
    out.push('[');
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_string(out, item);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn what_is_written_reads_back_with_serde_json() {
        let mut map = BTreeMap::new();
        for (key, value) in [
            ("plain", "Ogossagou"),
            ("quotes", "he said \"attack\""),
            ("backslash", "C:\\data\\acled.csv"),
            ("controls", "line\nbreak\ttab\r\u{0}\u{1f}"),
            ("accents", "Ségou, « Tombouctou » — 😀"),
            ("", ""),
        ] {
            map.insert(key.to_owned(), value.to_owned());
        }
        let mut out = String::from("left over");
        write_string_array(&mut out, map.keys().chain(map.values()).map(String::as_str));
        let read: Vec<String> = serde_json::from_str(&out).unwrap();
        assert_eq!(
            read,
            map.keys().chain(map.values()).cloned().collect::<Vec<_>>()
        );

        write_string_array(&mut out, []);
        assert_eq!(out, "[]");
    }
}
