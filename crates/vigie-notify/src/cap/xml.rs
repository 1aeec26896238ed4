//! A small XML writer: elements are opened and closed in order (the writer keeps the stack),
//! and every piece of text goes through escaping, so no record text reaches the output raw.

use std::fmt::Write as _;

/// Builds an XML document in memory, indented by two spaces.
pub(crate) struct XmlWriter {
    out: String,
    open_elements: Vec<&'static str>,
}

impl XmlWriter {
    /// A document starting with the UTF-8 XML declaration.
    pub(crate) fn new() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open_elements: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open_elements.len() {
            self.out.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &'static str, attributes: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (attribute, value) in attributes {
            let _ = write!(self.out, " {attribute}=\"{}\"", escape_attribute(value));
        }
    }

    /// Opens `name`; its content follows on the next lines.
    pub(crate) fn open(&mut self, name: &'static str, attributes: &[(&str, &str)]) {
        self.start_tag(name, attributes);
        self.out.push_str(">\n");
        self.open_elements.push(name);
    }

    /// Closes the innermost open element.
    pub(crate) fn close(&mut self) {
        let Some(name) = self.open_elements.pop() else {
            debug_assert!(false, "close without open");
            return;
        };
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }

    /// `<name attributes>text</name>` on one line.
    pub(crate) fn text_element(
        &mut self,
        name: &'static str,
        attributes: &[(&str, &str)],
        text: &str,
    ) {
        self.start_tag(name, attributes);
        let _ = writeln!(self.out, ">{}</{name}>", escape_text(text));
    }

    /// `<name attributes/>`.
    pub(crate) fn empty_element(&mut self, name: &'static str, attributes: &[(&str, &str)]) {
        self.start_tag(name, attributes);
        self.out.push_str("/>\n");
    }

    /// The document, every element closed.
    pub(crate) fn finish(mut self) -> String {
        while !self.open_elements.is_empty() {
            self.close();
        }
        self.out
    }
}

/// Characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) cannot even be escaped:
/// they become U+FFFD.
fn allowed_in_xml(character: char) -> bool {
    matches!(character, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` safe as element content: `&`, `<`, `>` escaped, a carriage return kept as `&#13;`
/// (a parser would fold a raw one into a line feed), forbidden characters replaced.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            other if allowed_in_xml(other) => out.push(other),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// `text` safe inside a double-quoted attribute: as [`escape_text`], plus quotes and
/// whitespace a parser would otherwise normalise to spaces.
pub fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in escape_text(text).chars() {
        match character {
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_and_forbidden_characters_replaced() {
        assert_eq!(
            escape_text("<a & b> \"'\u{0}\u{1b}\u{FFFE}\r\n"),
            "&lt;a &amp; b&gt; \"'\u{FFFD}\u{FFFD}\u{FFFD}&#13;\n"
        );
        assert_eq!(
            escape_attribute("x\"y'z<&>\n"),
            "x&quot;y&apos;z&lt;&amp;&gt;&#10;"
        );
        assert_eq!(escape_text("été ɛ 😀"), "été ɛ 😀");
    }

    #[test]
    fn the_writer_nests_and_closes_everything() {
        let mut writer = XmlWriter::new();
        writer.open("a", &[("x", "1&2")]);
        writer.text_element("b", &[], "<hi>");
        writer.empty_element("c", &[("href", "u?a=1&b=2")]);
        let document = writer.finish();
        assert_eq!(
            document,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a x=\"1&amp;2\">\n  <b>&lt;hi&gt;</b>\n  <c href=\"u?a=1&amp;b=2\"/>\n</a>\n"
        );
    }
}
