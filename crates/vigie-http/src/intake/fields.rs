//! Reading gateway form fields with length limits.

use crate::error::AppError;

/// The fields of a form body, in the order sent. A repeated field counts once: its first value.
pub(crate) struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub(crate) fn new(pairs: Vec<(String, String)>) -> FormFields {
        FormFields(pairs)
    }

    /// Every field, for signature checks.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// A field that may be absent; present but longer than `max_chars` is refused (422).
    pub(crate) fn optional(&self, name: &str, max_chars: usize) -> Result<Option<&str>, AppError> {
        let Some((_, value)) = self.0.iter().find(|(key, _)| key == name) else {
            return Ok(None);
        };
        if value.chars().count() > max_chars {
            return Err(AppError::invalid_field(format!(
                "field {name} is longer than {max_chars} characters"
            )));
        }
        Ok(Some(value.as_str()))
    }

    /// A field that must be present and not blank.
    pub(crate) fn required(&self, name: &str, max_chars: usize) -> Result<&str, AppError> {
        match self.optional(name, max_chars)? {
            Some(value) if !value.trim().is_empty() => Ok(value),
            _ => Err(AppError::invalid_field(format!("field {name} is required"))),
        }
    }
}
