//! From a file to rows: opening, hashing, telling CSV from JSON from zip, decoding text, and
//! handing each row (or each record that could not be split into columns) to a
//! [`TableSink`], which is where a source's own rules live.

mod csv_split;
mod json_stream;

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use encoding_rs::WINDOWS_1252;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use vigie_domain::{EventSource, QuarantineRecord};

pub(crate) use csv_split::RAW_KEEP_BYTES;
use csv_split::{CsvSplitter, Malformation, Split};
pub(crate) use json_stream::push_value_text;
use json_stream::{StreamError, stream_records};

use crate::error::ReadError;
use crate::summary::{AcledVintage, DataFormat, FileSummary, PartSummary, TextEncoding};

/// How many bytes are looked at to tell the format.
const SNIFF_BYTES: usize = 8 * 1024;

/// One row of a table: column names and values, decoded.
pub(crate) struct Row<'a> {
    /// Changes whenever the column names change (a new file, a zip member, a JSON record
    /// with other keys), so sinks rebind their column positions only then.
    pub generation: u64,
    /// Column names, trimmed and lowercased.
    pub names: &'a [String],
    /// Every value, back to back.
    pub text: &'a str,
    /// The end offset of each value in `text`.
    pub ends: &'a [usize],
    /// The record as read, for quarantine.
    pub raw: RawText<'a>,
}

/// Where a row's raw text comes from.
pub(crate) enum RawText<'a> {
    /// The CSV record's bytes.
    Bytes(&'a [u8]),
    /// A JSON record: rendered from its names and values when needed.
    Rendered,
}

impl<'a> Row<'a> {
    /// The value of column `index` as read (untrimmed), empty past the last one.
    pub(crate) fn value(&self, index: usize) -> &'a str {
        let Some(&end) = self.ends.get(index) else {
            return "";
        };
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text[start..end]
    }

    /// The value of column `index`, trimmed, `None` when absent or empty.
    pub(crate) fn get(&self, index: Option<usize>) -> Option<&'a str> {
        let value = self.value(index?).trim();
        (!value.is_empty()).then_some(value)
    }

    /// The record as read, decoded and cut at 64 KiB, for quarantine.
    pub(crate) fn raw_text(&self) -> String {
        match self.raw {
            RawText::Bytes(bytes) => raw_to_text(bytes),
            RawText::Rendered => {
                let object: Map<String, Value> = self
                    .names
                    .iter()
                    .enumerate()
                    .map(|(index, name)| (name.clone(), Value::from(self.value(index))))
                    .collect();
                cut_raw(Value::Object(object).to_string())
            }
        }
    }
}

/// What a source does with the rows of a table.
pub(crate) trait TableSink {
    /// The error of the caller's handler.
    type Error;

    /// The source quarantine records are filed under.
    fn source(&self) -> EventSource;

    /// A table begins with these columns: `Err` with the required columns that are missing
    /// refuses the file; `Ok` tells the vintage, if the source has vintages.
    fn begin_table(&mut self, names: &[String]) -> Result<Option<AcledVintage>, Vec<&'static str>>;

    /// One row.
    fn row(&mut self, row: &Row<'_>, origin: &str, line: u64) -> Result<(), Self::Error>;

    /// A record that could not be split into columns.
    fn malformed(&mut self, record: QuarantineRecord) -> Result<(), Self::Error>;

    /// Rows this sink has quarantined so far (malformed ones included).
    fn quarantined(&self) -> u64;
}

/// Reads the file at `path`, whatever its format, into `sink`.
pub(crate) fn read_path<S: TableSink>(
    path: &Path,
    max_record_bytes: usize,
    json_record_keys: &[&str],
    sink: &mut S,
) -> Result<FileSummary, ReadError<S::Error>> {
    let mut file = File::open(path).map_err(|error| ReadError::io(path, error))?;
    let mut magic = [0u8; 4];
    let magic_len =
        read_up_to(&mut file, &mut magic).map_err(|error| ReadError::io(path, error))?;
    let mut summary = FileSummary {
        path: path.to_owned(),
        sha256: None,
        zipped: false,
        rows_read: 0,
        events: 0,
        quarantined: 0,
        parts: Vec::new(),
    };
    let mut generation = 0;
    if magic[..magic_len].starts_with(b"PK\x03\x04") || magic[..magic_len] == *b"PK\x05\x06" {
        summary.zipped = true;
        file.seek(SeekFrom::Start(0))
            .map_err(|error| ReadError::io(path, error))?;
        summary.sha256 = Some(sha256_hex(&mut file).map_err(|error| ReadError::io(path, error))?);
        file.seek(SeekFrom::Start(0))
            .map_err(|error| ReadError::io(path, error))?;
        read_zip(
            file,
            path,
            max_record_bytes,
            json_record_keys,
            sink,
            &mut summary,
            &mut generation,
        )?;
    } else {
        // The first bytes were read to tell the format; they are hashed with the rest.
        let mut hashing = HashingReader {
            inner: Cursor::new(magic[..magic_len].to_vec()).chain(file),
            hasher: Sha256::new(),
        };
        let origin = path.display().to_string();
        let part = read_stream(
            &mut hashing,
            &origin,
            max_record_bytes,
            json_record_keys,
            sink,
            &mut generation,
        )?;
        // Whatever follows the data (trailing whitespace) belongs to the file's hash too.
        io::copy(&mut hashing, &mut io::sink()).map_err(|error| ReadError::io(path, error))?;
        summary.sha256 = Some(hex(&hashing.hasher.finalize()));
        summary.parts.push(part);
    }
    summary.rows_read = summary.parts.iter().map(|part| part.rows_read).sum();
    summary.quarantined = summary.parts.iter().map(|part| part.quarantined).sum();
    Ok(summary)
}

/// Reads every CSV and JSON member of a zip archive, in archive order.
fn read_zip<S: TableSink>(
    file: File,
    path: &Path,
    max_record_bytes: usize,
    json_record_keys: &[&str],
    sink: &mut S,
    summary: &mut FileSummary,
    generation: &mut u64,
) -> Result<(), ReadError<S::Error>> {
    let zip_error = |source| ReadError::Zip {
        path: path.to_owned(),
        source,
    };
    let mut archive = zip::ZipArchive::new(io::BufReader::new(file)).map_err(zip_error)?;
    let mut names = Vec::new();
    for index in 0..archive.len() {
        let member = archive.by_index(index).map_err(zip_error)?;
        let name = member.name().map_err(zip_error)?.into_owned();
        if member.is_file() {
            names.push((index, name));
        }
    }
    if names.iter().any(|(_, name)| name.starts_with("xl/")) {
        return Err(ReadError::UnsupportedFormat {
            path: path.to_owned(),
            reason: "it is an Excel workbook; export it as CSV".into(),
        });
    }
    let is_data = |name: &str| {
        let lower = name.to_ascii_lowercase();
        let hidden = lower.starts_with("__macosx/")
            || lower
                .rsplit('/')
                .next()
                .is_some_and(|file| file.starts_with('.'));
        // Not `.txt`: archives carry their README and licence as text files.
        !hidden
            && [".csv", ".tsv", ".json"]
                .iter()
                .any(|ext| lower.ends_with(ext))
    };
    let mut read_any = false;
    for (index, name) in names.into_iter().filter(|(_, name)| is_data(name)) {
        let member = archive.by_index(index).map_err(zip_error)?;
        let origin = format!("{}!{name}", path.display());
        let part = read_stream(
            member,
            &origin,
            max_record_bytes,
            json_record_keys,
            sink,
            generation,
        )?;
        summary.parts.push(part);
        read_any = true;
    }
    if !read_any {
        return Err(ReadError::NothingInZip {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// Reads a CSV or JSON stream (told apart by its first bytes) into `sink`.
pub(crate) fn read_stream<R: Read, S: TableSink>(
    mut reader: R,
    origin: &str,
    max_record_bytes: usize,
    json_record_keys: &[&str],
    sink: &mut S,
    generation: &mut u64,
) -> Result<PartSummary, ReadError<S::Error>> {
    let mut head = vec![0u8; SNIFF_BYTES];
    let head_len =
        read_up_to(&mut reader, &mut head).map_err(|error| ReadError::io(origin, error))?;
    head.truncate(head_len);
    if head.starts_with(b"\xEF\xBB\xBF") {
        head.drain(..3);
    }
    let kind = sniff(&head).map_err(|reason| ReadError::UnsupportedFormat {
        path: origin.into(),
        reason,
    })?;
    let reader = Cursor::new(head).chain(reader);
    match kind {
        Kind::Csv => read_csv(reader, origin, max_record_bytes, sink, generation),
        Kind::Json => read_json(
            reader,
            origin,
            max_record_bytes,
            json_record_keys,
            sink,
            generation,
        ),
    }
}

enum Kind {
    Csv,
    Json,
}

/// Tells JSON from CSV, and names the formats that are neither.
fn sniff(head: &[u8]) -> Result<Kind, String> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err("it is UTF-16 text; save it as UTF-8 CSV".into());
    }
    if head.starts_with(b"\x1F\x8B") {
        return Err("it is gzip-compressed; decompress it first".into());
    }
    if head.starts_with(b"PK\x03\x04") {
        return Err("it is a zip archive inside another".into());
    }
    if head.starts_with(b"%PDF") {
        return Err("it is a PDF document".into());
    }
    if head.contains(&0) {
        return Err("it is binary, not CSV, JSON or zip".into());
    }
    match head.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'[' | b'{') => Ok(Kind::Json),
        _ => Ok(Kind::Csv),
    }
}

/// Counts kept while decoding a part.
#[derive(Default)]
struct EncodingCounts {
    utf8_non_ascii: u64,
    windows1252: u64,
}

fn read_csv<R: Read, S: TableSink>(
    reader: R,
    origin: &str,
    max_record_bytes: usize,
    sink: &mut S,
    generation: &mut u64,
) -> Result<PartSummary, ReadError<S::Error>> {
    let io_error = |error| ReadError::io(origin, error);
    let mut splitter = CsvSplitter::new(reader, max_record_bytes);
    let mut encoding = EncodingCounts::default();
    let mut scratch = String::new();
    let mut scratch_ends = Vec::new();
    let uppercase_headers;
    let names: Vec<String> = match splitter.next_record().map_err(io_error)? {
        Split::End => {
            return Err(ReadError::NoHeader {
                path: origin.into(),
            });
        }
        Split::Malformed {
            line, malformation, ..
        } => {
            return Err(ReadError::UnsupportedFormat {
                path: origin.into(),
                reason: format!(
                    "the header on line {line} is malformed ({})",
                    describe(&malformation, &[])
                ),
            });
        }
        Split::Record { fields, ends, .. } => {
            let (text, ends) =
                decode_fields(fields, ends, &mut scratch, &mut scratch_ends, &mut encoding);
            let written: Vec<&str> = (0..ends.len())
                .map(|index| {
                    let start = if index == 0 { 0 } else { ends[index - 1] };
                    &text[start..ends[index]]
                })
                .collect();
            uppercase_headers = is_uppercase(written.iter().copied());
            written
                .iter()
                .enumerate()
                .map(|(index, name)| column_name(name, index))
                .collect()
        }
    };
    let quarantined_before = sink.quarantined();
    let vintage = sink
        .begin_table(&names)
        .map_err(|columns| ReadError::MissingColumns {
            path: origin.into(),
            columns,
        })?;
    *generation += 1;
    splitter.expect_fields(names.len());
    let mut rows_read = 0;
    loop {
        match splitter.next_record().map_err(io_error)? {
            Split::End => break,
            Split::Record {
                line,
                fields,
                ends,
                raw,
            } => {
                rows_read += 1;
                let (text, ends) =
                    decode_fields(fields, ends, &mut scratch, &mut scratch_ends, &mut encoding);
                let row = Row {
                    generation: *generation,
                    names: &names,
                    text,
                    ends,
                    raw: RawText::Bytes(raw),
                };
                sink.row(&row, origin, line).map_err(ReadError::Handler)?;
            }
            Split::Malformed {
                line,
                malformation,
                raw,
            } => {
                rows_read += 1;
                let field = match malformation {
                    Malformation::TextAfterQuote { column }
                    | Malformation::UnterminatedQuote { column }
                    | Malformation::RunawayQuote { column } => names.get(column).cloned(),
                    Malformation::FieldCount { .. } | Malformation::TooLong { .. } => None,
                };
                let record = QuarantineRecord {
                    source: sink.source(),
                    origin: origin.to_owned(),
                    line,
                    field,
                    reason: describe(&malformation, &names),
                    raw: raw_to_text(raw),
                };
                sink.malformed(record).map_err(ReadError::Handler)?;
            }
        }
    }
    Ok(PartSummary {
        origin: origin.to_owned(),
        format: DataFormat::Csv,
        vintage,
        uppercase_headers,
        encoding: TextEncoding::from_counts(encoding.utf8_non_ascii, encoding.windows1252),
        rows_read,
        quarantined: sink.quarantined() - quarantined_before,
    })
}

/// Why streaming a JSON document stopped early.
enum JsonStop<E> {
    Handler(E),
    MissingColumns(Vec<&'static str>),
}

fn read_json<R: Read, S: TableSink>(
    reader: R,
    origin: &str,
    max_record_bytes: usize,
    record_keys: &[&str],
    sink: &mut S,
    generation: &mut u64,
) -> Result<PartSummary, ReadError<S::Error>> {
    let quarantined_before = sink.quarantined();
    let mut names: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut ends = Vec::new();
    let mut position = 0;
    let mut vintage = None;
    let mut begun = false;
    let mut uppercase_headers = false;
    let mut encoding = EncodingCounts::default();
    // serde_json reads byte by byte; buffering makes that cheap.
    let reader = io::BufReader::with_capacity(64 * 1024, reader);
    let outcome = stream_records(reader, record_keys, |item| {
        position += 1;
        let object = match item {
            Ok(object) => object,
            Err(other) => {
                let record = QuarantineRecord {
                    source: sink.source(),
                    origin: origin.to_owned(),
                    line: position,
                    field: None,
                    reason: format!("record {position} is not a JSON object"),
                    raw: cut_raw(other.to_string()),
                };
                return sink.malformed(record).map_err(JsonStop::Handler);
            }
        };
        let same_columns = object.len() == names.len()
            && object
                .keys()
                .zip(&names)
                .all(|(key, name)| key.trim().eq_ignore_ascii_case(name));
        if !same_columns {
            names = object
                .keys()
                .enumerate()
                .map(|(index, key)| column_name(key, index))
                .collect();
            *generation += 1;
            if !begun {
                begun = true;
                uppercase_headers = is_uppercase(object.keys().map(String::as_str));
                vintage = sink.begin_table(&names).map_err(JsonStop::MissingColumns)?;
            }
        }
        text.clear();
        ends.clear();
        for value in object.values() {
            push_value_text(&mut text, value);
            ends.push(text.len());
        }
        // The JSON parser has read the record already; the limit still keeps an absurd one
        // out of the store, as it does for CSV.
        if text.len() > max_record_bytes {
            let record = QuarantineRecord {
                source: sink.source(),
                origin: origin.to_owned(),
                line: position,
                field: None,
                reason: format!(
                    "record longer than the {max_record_bytes}-byte limit; not normalised"
                ),
                raw: cut_raw(text.clone()),
            };
            return sink.malformed(record).map_err(JsonStop::Handler);
        }
        if !text.is_ascii() {
            encoding.utf8_non_ascii += 1;
        }
        let row = Row {
            generation: *generation,
            names: &names,
            text: &text,
            ends: &ends,
            raw: RawText::Rendered,
        };
        sink.row(&row, origin, position).map_err(JsonStop::Handler)
    });
    let format = match outcome {
        Ok(format) => format,
        Err(StreamError::Json(source)) => {
            return Err(ReadError::Json {
                path: origin.into(),
                source,
            });
        }
        Err(StreamError::Stopped(JsonStop::Handler(error))) => {
            return Err(ReadError::Handler(error));
        }
        Err(StreamError::Stopped(JsonStop::MissingColumns(columns))) => {
            return Err(ReadError::MissingColumns {
                path: origin.into(),
                columns,
            });
        }
    };
    Ok(PartSummary {
        origin: origin.to_owned(),
        format,
        vintage,
        uppercase_headers,
        encoding: TextEncoding::from_counts(encoding.utf8_non_ascii, encoding.windows1252),
        rows_read: position,
        quarantined: sink.quarantined() - quarantined_before,
    })
}

/// The quarantine reason for a record that could not be split.
fn describe(malformation: &Malformation, names: &[String]) -> String {
    let column = |index: usize| {
        names
            .get(index)
            .map_or_else(|| format!("{}", index + 1), |name| format!("{name:?}"))
    };
    match *malformation {
        Malformation::FieldCount { found, expected } => {
            format!("wrong number of fields: {found} where the header has {expected}")
        }
        Malformation::TextAfterQuote { column: index } => format!(
            "malformed quoting in column {}: text follows a closing quote (a quote inside a quoted value must be doubled)",
            column(index)
        ),
        Malformation::UnterminatedQuote { column: index } => format!(
            "malformed quoting in column {}: the quoted value is never closed",
            column(index)
        ),
        Malformation::RunawayQuote { column: index } => format!(
            "malformed quoting in column {}: the quoted value runs on over the following lines and the record does not fit the header (an unbalanced quote); this line was set aside and the next lines read on their own",
            column(index)
        ),
        Malformation::TooLong { limit } => {
            format!("record longer than the {limit}-byte limit; skipped unread")
        }
    }
}

/// Decodes a record's fields: as UTF-8 when the whole record is valid UTF-8, otherwise as
/// Windows-1252 (every byte has a meaning there, so nothing is lost).
fn decode_fields<'a>(
    fields: &'a [u8],
    ends: &'a [usize],
    scratch: &'a mut String,
    scratch_ends: &'a mut Vec<usize>,
    counts: &mut EncodingCounts,
) -> (&'a str, &'a [usize]) {
    if let Ok(text) = std::str::from_utf8(fields) {
        if text.is_ascii() {
            return (text, ends);
        }
        // Valid as a whole, but a split inside a character would mean the bytes were not
        // UTF-8 after all (a lead byte ending one field, its continuation starting the next).
        if ends.iter().all(|&end| text.is_char_boundary(end)) {
            counts.utf8_non_ascii += 1;
            return (text, ends);
        }
    }
    counts.windows1252 += 1;
    scratch.clear();
    scratch_ends.clear();
    let mut start = 0;
    for &end in ends {
        let (decoded, _) = WINDOWS_1252.decode_without_bom_handling(&fields[start..end]);
        scratch.push_str(&decoded);
        scratch_ends.push(scratch.len());
        start = end;
    }
    (scratch.as_str(), scratch_ends.as_slice())
}

/// Raw record bytes as text for quarantine: UTF-8 when valid, else Windows-1252.
pub(crate) fn raw_to_text(bytes: &[u8]) -> String {
    let bytes = &bytes[..bytes.len().min(RAW_KEEP_BYTES)];
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(error) if error.error_len().is_none() => {
            // Only the cut split a character: keep what is whole.
            String::from_utf8_lossy(&bytes[..error.valid_up_to()]).into_owned()
        }
        Err(_) => WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Cuts quarantine text to 64 KiB on a character boundary.
pub(crate) fn cut_raw(mut text: String) -> String {
    if text.len() > RAW_KEEP_BYTES {
        let mut cut = RAW_KEEP_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// A header name as columns are matched: trimmed, without a byte-order mark, lowercased;
/// an empty name becomes `column_N`.
pub(crate) fn column_name(text: &str, index: usize) -> String {
    let name = text.trim_start_matches('\u{feff}').trim();
    if name.is_empty() {
        return format!("column_{}", index + 1);
    }
    match name.is_ascii() {
        true => name.to_ascii_lowercase(),
        false => name.to_lowercase(),
    }
}

/// Whether header names as written are in capitals (old HDX files): letters, none of them
/// lowercase.
fn is_uppercase<'a>(names: impl IntoIterator<Item = &'a str>) -> bool {
    let mut any_letter = false;
    for name in names {
        for character in name.chars().filter(|character| character.is_alphabetic()) {
            if character.is_lowercase() {
                return false;
            }
            any_letter = true;
        }
    }
    any_letter
}

fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..read]);
        Ok(read)
    }
}

fn sha256_hex(reader: &mut impl Read) -> io::Result<String> {
    let mut hashing = HashingReader {
        inner: reader,
        hasher: Sha256::new(),
    };
    io::copy(&mut hashing, &mut io::sink())?;
    Ok(hex(&hashing.hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(64), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}
