//! Streaming the records of a JSON file one at a time: an array of objects (ACLED's JSON
//! export) or an object whose `data` array holds them (the API's response). Only one record
//! is in memory at a time, whatever the size of the file.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::summary::DataFormat;

/// One element of the record array: an object, or anything else (refused by the caller).
pub(crate) type JsonItem = Result<Map<String, Value>, Value>;

/// Why streaming stopped.
pub(crate) enum StreamError<E> {
    /// The JSON is malformed or has neither shape.
    Json(serde_json::Error),
    /// The callback asked to stop.
    Stopped(E),
}

/// Calls `on_item` for every record of the JSON document read from `reader`; returns which
/// shape the document had.
pub(crate) fn stream_records<R, E>(
    reader: R,
    record_keys: &[&str],
    mut on_item: impl FnMut(JsonItem) -> Result<(), E>,
) -> Result<DataFormat, StreamError<E>>
where
    R: Read,
{
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let mut stopped = None;
    let mut format = DataFormat::JsonArray;
    let outcome = Document {
        on_item: &mut on_item,
        stopped: &mut stopped,
        format: &mut format,
        record_keys,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    match (outcome, stopped) {
        (_, Some(error)) => Err(StreamError::Stopped(error)),
        (Err(error), None) => Err(StreamError::Json(error)),
        (Ok(()), None) => Ok(format),
    }
}

/// The top of the document.
struct Document<'a, F, E> {
    on_item: &'a mut F,
    stopped: &'a mut Option<E>,
    format: &'a mut DataFormat,
    record_keys: &'a [&'a str],
}

impl<'de, F, E> DeserializeSeed<'de> for Document<'_, F, E>
where
    F: FnMut(JsonItem) -> Result<(), E>,
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F, E> Visitor<'de> for Document<'_, F, E>
where
    F: FnMut(JsonItem) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "an array of records or an object with a `{}` array",
            self.record_keys.join("` or `")
        )
    }

    fn visit_seq<A: SeqAccess<'de>>(self, sequence: A) -> Result<(), A::Error> {
        *self.format = DataFormat::JsonArray;
        Records {
            on_item: self.on_item,
            stopped: self.stopped,
        }
        .visit_seq(sequence)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        *self.format = DataFormat::JsonApiResponse;
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if !found && self.record_keys.contains(&key.as_str()) {
                found = true;
                map.next_value_seed(Records {
                    on_item: &mut *self.on_item,
                    stopped: &mut *self.stopped,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !found {
            return Err(de::Error::custom(format!(
                "the JSON object has no `{}` array of records",
                self.record_keys.join("` or `")
            )));
        }
        Ok(())
    }
}

/// The record array.
struct Records<'a, F, E> {
    on_item: &'a mut F,
    stopped: &'a mut Option<E>,
}

impl<'de, F, E> DeserializeSeed<'de> for Records<'_, F, E>
where
    F: FnMut(JsonItem) -> Result<(), E>,
{
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F, E> Visitor<'de> for Records<'_, F, E>
where
    F: FnMut(JsonItem) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<(), A::Error> {
        while let Some(value) = sequence.next_element::<Value>()? {
            let item = match value {
                Value::Object(object) => Ok(object),
                other => Err(other),
            };
            if let Err(error) = (self.on_item)(item) {
                *self.stopped = Some(error);
                // serde needs an error to unwind; the caller reports the handler's instead.
                return Err(de::Error::custom("stopped by the record handler"));
            }
        }
        Ok(())
    }
}

/// Appends a JSON value as record text: strings as they are, numbers and booleans as
/// written, null as empty, arrays and objects as compact JSON.
pub(crate) fn push_value_text(text: &mut String, value: &Value) {
    use std::fmt::Write;
    match value {
        Value::String(string) => text.push_str(string),
        Value::Null => {}
        Value::Bool(flag) => text.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => {
            let _ = write!(text, "{number}");
        }
        other => {
            let _ = write!(text, "{other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(json: &str) -> (Result<DataFormat, String>, Vec<JsonItem>) {
        let mut items = Vec::new();
        let outcome = stream_records(json.as_bytes(), &["data"], |item| {
            items.push(item);
            Ok::<(), ()>(())
        })
        .map_err(|error| match error {
            StreamError::Json(error) => error.to_string(),
            StreamError::Stopped(()) => "stopped".into(),
        });
        (outcome, items)
    }

    #[test]
    fn arrays_and_api_responses_yield_their_records_in_order() {
        let (format, items) = collect(r#"[{"a":"1"},{"a":2},7]"#);
        assert_eq!(format, Ok(DataFormat::JsonArray));
        assert_eq!(items.len(), 3);
        assert!(items[2].is_err());
        let (format, items) =
            collect(r#"{"status":200,"success":true,"data":[{"a":"1"}],"count":1}"#);
        assert_eq!(format, Ok(DataFormat::JsonApiResponse));
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn an_object_without_records_and_truncated_json_are_errors() {
        let (format, _) = collect(r#"{"status":403,"error":{"message":"denied"}}"#);
        assert!(format.unwrap_err().contains("no `data` array"));
        let (format, items) = collect(r#"[{"a":"1"},{"a":"#);
        assert!(format.is_err());
        assert_eq!(items.len(), 1, "records before the fault are delivered");
    }

    #[test]
    fn a_handler_error_stops_the_stream_and_is_returned() {
        let mut seen = 0;
        let outcome = stream_records(&b"[{},{},{}]"[..], &["data"], |_| {
            seen += 1;
            if seen == 2 { Err("full") } else { Ok(()) }
        });
        assert!(matches!(outcome, Err(StreamError::Stopped("full"))));
        assert_eq!(seen, 2);
    }

    #[test]
    fn values_become_text_as_written() {
        let mut text = String::new();
        for value in [
            serde_json::json!("Ségou"),
            serde_json::json!(14.2301),
            serde_json::json!(3),
            serde_json::json!(null),
            serde_json::json!(true),
        ] {
            push_value_text(&mut text, &value);
            text.push('|');
        }
        assert_eq!(text, "Ségou|14.2301|3||true|");
    }
}
