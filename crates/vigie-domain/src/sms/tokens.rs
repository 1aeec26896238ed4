//! Cutting a message into words the grammar can compare.

use crate::fold_name;

/// Characters of a message the grammar reads at most; the rest of a longer text is kept for
/// analysts but not parsed (a real report fits in a few SMS).
pub(crate) const MAX_PARSED_CHARS: usize = 640;
/// Words the grammar reads at most.
pub(crate) const MAX_TOKENS: usize = 80;
/// Characters of one word; longer runs of letters are not words anyone typed.
const MAX_TOKEN_CHARS: usize = 48;

/// A word of the message: as written, folded, and folded without a French elision (`l'`, `d'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'text> {
    /// The word as written (for echoing it back).
    pub original: &'text str,
    /// [`fold_name`] of the whole word: `N'Gouraba` → `ngouraba`.
    pub folded: String,
    /// The folded word after an elided article: `l'attaque` → `attaque`.
    pub elided: Option<String>,
}

impl Token<'_> {
    /// The word to compare with vocabulary: without its elided article when it has one.
    pub fn word(&self) -> &str {
        self.elided.as_deref().unwrap_or(&self.folded)
    }

    /// The value of a word made of digits (`3`, `12`), when it is one and below 100 000.
    pub fn digits_value(&self) -> Option<u32> {
        if self.folded.is_empty()
            || self.folded.len() > 5
            || !self.folded.bytes().all(|byte| byte.is_ascii_digit())
        {
            return None;
        }
        self.folded.parse().ok()
    }
}

fn is_word_character(character: char) -> bool {
    character.is_alphanumeric() || matches!(character, '-' | '\'' | '’' | '`' | 'ʼ')
}

fn is_apostrophe(character: char) -> bool {
    matches!(character, '\'' | '’' | '`' | 'ʼ')
}

/// French articles and pronouns that elide before a vowel.
fn is_elided_article(folded: &str) -> bool {
    matches!(
        folded,
        "l" | "d" | "j" | "m" | "n" | "s" | "t" | "c" | "qu" | "jusqu" | "lorsqu" | "puisqu"
    )
}

/// The words of `text`, in order: runs of letters, digits, hyphens and apostrophes; everything
/// else (spaces, punctuation, emoji, control characters) separates them. A number glued to a
/// word is split from it (`3morts` → `3`, `morts`). Words that fold to nothing are dropped.
pub(crate) fn tokenize(text: &str) -> Vec<Token<'_>> {
    let limit = text
        .char_indices()
        .nth(MAX_PARSED_CHARS)
        .map_or(text.len(), |(index, _)| index);
    let text = &text[..limit];
    let mut tokens = Vec::new();
    let mut start: Option<usize> = None;
    let mut previous_is_digit = false;
    for (index, character) in text.char_indices() {
        if is_word_character(character) {
            let is_digit = character.is_ascii_digit();
            match start {
                None => start = Some(index),
                Some(word_start) if previous_is_digit && !is_digit => {
                    push_token(&mut tokens, &text[word_start..index]);
                    start = Some(index);
                }
                Some(_) => {}
            }
            previous_is_digit = is_digit;
        } else if let Some(word_start) = start.take() {
            push_token(&mut tokens, &text[word_start..index]);
        }
        if tokens.len() >= MAX_TOKENS {
            return tokens;
        }
    }
    if let Some(word_start) = start {
        push_token(&mut tokens, &text[word_start..]);
    }
    tokens.truncate(MAX_TOKENS);
    tokens
}

fn push_token<'text>(tokens: &mut Vec<Token<'text>>, original: &'text str) {
    let original =
        original.trim_matches(|character: char| character == '-' || is_apostrophe(character));
    if original.is_empty() || original.chars().count() > MAX_TOKEN_CHARS {
        return;
    }
    let folded = fold_name(original);
    if folded.is_empty() {
        return;
    }
    let elided = original
        .split_once(is_apostrophe)
        .filter(|(article, _)| is_elided_article(&fold_name(article)))
        .map(|(_, rest)| fold_name(rest))
        .filter(|rest| !rest.is_empty());
    tokens.push(Token {
        original,
        folded,
        elided,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text)
            .into_iter()
            .map(|token| token.word().to_owned())
            .collect()
    }

    #[test]
    fn words_are_folded_and_separated_by_anything_else() {
        assert_eq!(
            words("ALERTE  Dialassagou, attaque: 3 MORTS!"),
            ["alerte", "dialassagou", "attaque", "3", "morts"]
        );
        assert_eq!(words("Gourma-Rharous"), ["gourmarharous"]);
        assert_eq!(words("3morts 5blessés"), ["3", "morts", "5", "blesses"]);
        assert_eq!(words("😀😀 attaque🔥\u{0}ségou"), ["attaque", "segou"]);
    }

    #[test]
    fn elided_articles_are_set_aside_but_names_keep_their_apostrophe() {
        let tokens = tokenize("l'attaque d’enlèvement N'Gouraba");
        assert_eq!(tokens[0].word(), "attaque");
        assert_eq!(tokens[1].word(), "enlevement");
        assert_eq!(tokens[2].folded, "ngouraba");
        assert_eq!(tokens[2].original, "N'Gouraba");
    }

    #[test]
    fn hostile_input_is_bounded() {
        let long = "attaque ".repeat(10_000);
        assert!(tokenize(&long).len() <= MAX_TOKENS);
        let one_word = "a".repeat(100_000);
        assert!(tokenize(&one_word).is_empty());
        assert!(tokenize("").is_empty());
        assert!(tokenize("'-'- -- ''").is_empty());
        assert_eq!(tokenize("123456789")[0].digits_value(), None);
        assert_eq!(tokenize("12")[0].digits_value(), Some(12));
    }
}
