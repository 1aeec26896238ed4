//! Comparing place names the way people write them: with or without accents, any case, with
//! hyphens, apostrophes or spaces.

/// The comparison key of a name: transliterated to ASCII, lowercase, letters and digits only.
///
/// ```
/// use vigie_domain::fold_name;
/// assert_eq!(fold_name("Ségou"), fold_name("SEGOU"));
/// assert_eq!(fold_name("N'Gouraba"), fold_name("Ngouraba"));
/// assert_eq!(fold_name("Gourma-Rharous"), "gourmarharous");
/// ```
pub fn fold_name(name: &str) -> String {
    deunicode::deunicode(name)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|character| character.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_french_and_bambara_letters() {
        assert_eq!(fold_name("Ténenkou"), "tenenkou");
        assert_eq!(fold_name("Diafarabé"), "diafarabe");
        assert_eq!(fold_name("  Haïré "), "haire");
        let bambara = fold_name("Ɲɛgɛ");
        assert!(!bambara.is_empty() && bambara.is_ascii(), "{bambara}");
        assert_eq!(fold_name(""), "");
    }
}
