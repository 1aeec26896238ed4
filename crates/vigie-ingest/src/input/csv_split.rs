//! Splitting a CSV stream into records, with the line each starts on, its raw bytes, and a
//! diagnosis of what is wrong with the ones that are malformed.
//!
//! Why not the `csv` crate's reader: it accepts any quoting silently, does not give back a
//! record's raw bytes, and buffers a record of any size, so one unterminated quote near the
//! top of a file turns the rest of the file into a single field held in memory. This splitter
//! reports quoting faults, never holds more than `max_record_bytes` of one record, and when a
//! quoted value runs over several lines and leaves a malformed record (the signature of an
//! unbalanced quote) it sets aside only the first line and reads the following lines again,
//! so one stray quote costs one row, not the rest of the file.
//!
//! Quotes inside an unquoted value (`Attack on "Boni" village`) are kept as text, as most
//! CSV readers do: nothing is lost and the field count tells whether the row is sound.

use std::io::{self, Read};

use memchr::{memchr, memchr2};

/// How much to read at a time; a record longer than this grows the buffer.
const READ_CHUNK: usize = 256 * 1024;

/// How much of an over-long record is kept to show in quarantine.
pub(crate) const RAW_KEEP_BYTES: usize = 64 * 1024;

/// What is wrong with a record that could not be split into the header's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Malformation {
    /// A different number of fields from the header.
    FieldCount {
        /// Fields found.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// Text after the closing quote of a quoted value (`"a "b" c"`: an inner quote that
    /// should have been doubled).
    TextAfterQuote {
        /// 0-based column.
        column: usize,
    },
    /// A quoted value still open at the end of the file.
    UnterminatedQuote {
        /// 0-based column.
        column: usize,
    },
    /// A quoted value runs over several lines and the record it makes is malformed (or
    /// longer than the limit): this line was set aside, the next ones are read again.
    RunawayQuote {
        /// 0-based column where the quoted value opened.
        column: usize,
    },
    /// A single line longer than the limit, skipped unread.
    TooLong {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// One step of the splitter.
pub(crate) enum Split<'a> {
    /// A well-formed record.
    Record {
        /// 1-based line the record starts on.
        line: u64,
        /// The field values, unquoted, back to back.
        fields: &'a [u8],
        /// The end offset of each field in `fields`.
        ends: &'a [usize],
        /// The record as it appears in the file, without its line terminator.
        raw: &'a [u8],
    },
    /// A record (or line) that cannot be split into the header's columns.
    Malformed {
        /// 1-based line.
        line: u64,
        /// What is wrong.
        malformation: Malformation,
        /// The line or record as it appears in the file (cut at 64 KiB).
        raw: &'a [u8],
    },
    /// The end of the input.
    End,
}

/// What parsing the bytes at the start of the buffer found.
enum Parsed {
    /// A whole record.
    Complete(Shape),
    /// The record continues past the bytes read so far; `first_line` is known when the
    /// record already spans more than one line.
    NeedMore { first_line: Option<FirstLine> },
}

#[derive(Debug, Clone, Copy)]
struct FirstLine {
    /// Length of the first line without its terminator.
    raw_len: usize,
    /// Length with its terminator.
    consumed: usize,
    /// Column of the quoted value that crossed the line end.
    column: usize,
}

#[derive(Debug, Default)]
struct Shape {
    /// Bytes of the record, terminator included.
    consumed: usize,
    /// Bytes of the record without its terminator.
    raw_len: usize,
    /// Line terminators inside quoted values.
    inner_line_breaks: u64,
    first_line: Option<FirstLine>,
    quote_fault: Option<Malformation>,
}

/// Splits a byte stream into CSV records. See the module documentation.
pub(crate) struct CsvSplitter<R> {
    reader: R,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    at_eof: bool,
    started: bool,
    delimiter: u8,
    terminator: u8,
    next_line: u64,
    max_record_bytes: usize,
    expected_fields: Option<usize>,
    fields: Vec<u8>,
    ends: Vec<usize>,
    kept_raw: Vec<u8>,
}

impl<R: Read> CsvSplitter<R> {
    /// A splitter over `reader` (a UTF-8 byte-order mark must already be stripped).
    pub(crate) fn new(reader: R, max_record_bytes: usize) -> CsvSplitter<R> {
        CsvSplitter {
            reader,
            buffer: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            at_eof: false,
            started: false,
            delimiter: b',',
            terminator: b'\n',
            next_line: 1,
            max_record_bytes: max_record_bytes.max(1),
            expected_fields: None,
            fields: Vec::with_capacity(4096),
            ends: Vec::with_capacity(64),
            kept_raw: Vec::new(),
        }
    }

    /// From now on, records with another number of fields are malformed.
    pub(crate) fn expect_fields(&mut self, count: usize) {
        self.expected_fields = Some(count);
    }

    /// The field delimiter detected from the first line.
    #[cfg(test)]
    pub(crate) fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The next record.
    pub(crate) fn next_record(&mut self) -> io::Result<Split<'_>> {
        if !self.started {
            self.start_up()?;
        }
        loop {
            if self.start == self.end {
                if self.at_eof {
                    return Ok(Split::End);
                }
                self.fill()?;
                continue;
            }
            if self.skip_blank_line()? {
                continue;
            }
            let parsed = parse_record(
                &self.buffer[self.start..self.end],
                self.at_eof,
                self.delimiter,
                self.terminator,
                &mut self.fields,
                &mut self.ends,
            );
            let line = self.next_line;
            match parsed {
                Parsed::NeedMore { first_line } => {
                    if self.end - self.start <= self.max_record_bytes {
                        self.fill()?;
                        continue;
                    }
                    return match first_line {
                        Some(first_line) => Ok(self.set_aside_first_line(line, first_line)),
                        None => self.skip_long_line(line),
                    };
                }
                Parsed::Complete(shape) => {
                    let wrong_count = self
                        .expected_fields
                        .filter(|&expected| expected != self.ends.len());
                    let too_long = shape.raw_len > self.max_record_bytes;
                    if let Some(first_line) = shape.first_line
                        && (too_long || wrong_count.is_some() || shape.quote_fault.is_some())
                    {
                        return Ok(self.set_aside_first_line(line, first_line));
                    }
                    let record_start = self.start;
                    self.start += shape.consumed;
                    self.next_line += shape.inner_line_breaks + 1;
                    let raw = &self.buffer[record_start..record_start + shape.raw_len];
                    let malformation = if too_long {
                        Some(Malformation::TooLong {
                            limit: self.max_record_bytes,
                        })
                    } else if let Some(fault) = shape.quote_fault {
                        Some(fault)
                    } else {
                        wrong_count.map(|expected| Malformation::FieldCount {
                            found: self.ends.len(),
                            expected,
                        })
                    };
                    return Ok(match malformation {
                        Some(malformation) => Split::Malformed {
                            line,
                            malformation,
                            raw: &raw[..raw.len().min(RAW_KEEP_BYTES)],
                        },
                        None => Split::Record {
                            line,
                            fields: &self.fields,
                            ends: &self.ends,
                            raw,
                        },
                    });
                }
            }
        }
    }

    /// Reads the first bytes, and from the first line tells the line terminator (a lone CR,
    /// as old Mac spreadsheets write, or LF/CRLF) and the delimiter (`,`, `;` or tab: French
    /// spreadsheets save with `;`).
    fn start_up(&mut self) -> io::Result<()> {
        self.started = true;
        while !self.at_eof && self.end < 64 * 1024 {
            self.fill()?;
            if memchr2(b'\n', b'\r', &self.buffer[..self.end]).is_some() {
                break;
            }
        }
        let data = &self.buffer[..self.end];
        let first_line_end = match memchr2(b'\n', b'\r', data) {
            Some(position) => {
                if data[position] == b'\r' && data.get(position + 1).is_some_and(|&b| b != b'\n') {
                    self.terminator = b'\r';
                }
                position
            }
            None => data.len(),
        };
        let first_line = &data[..first_line_end];
        let count = |byte: u8| first_line.iter().filter(|&&b| b == byte).count();
        let (commas, semicolons, tabs) = (count(b','), count(b';'), count(b'\t'));
        if semicolons > commas && semicolons >= tabs {
            self.delimiter = b';';
        } else if tabs > commas && tabs > semicolons {
            self.delimiter = b'\t';
        }
        Ok(())
    }

    /// Moves unconsumed bytes to the front and reads more, growing the buffer when a record
    /// fills it.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buffer.len() {
            let grown = self.buffer.len() * 2;
            self.buffer.resize(grown, 0);
        }
        loop {
            match self.reader.read(&mut self.buffer[self.end..]) {
                Ok(0) => self.at_eof = true,
                Ok(read) => self.end += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
            return Ok(());
        }
    }

    /// Skips an empty line (blank lines are not records); true when one was skipped.
    fn skip_blank_line(&mut self) -> io::Result<bool> {
        let first = self.buffer[self.start];
        if first == self.terminator {
            self.start += 1;
            self.next_line += 1;
            return Ok(true);
        }
        if first == b'\r' && self.terminator == b'\n' {
            if self.start + 1 == self.end && !self.at_eof {
                self.fill()?;
                return Ok(true);
            }
            if self.start + 1 == self.end || self.buffer[self.start + 1] == b'\n' {
                self.start = (self.start + 2).min(self.end);
                self.next_line += 1;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Quarantines the first line of a record whose quoted value ran over several lines, and
    /// resumes at the second line.
    fn set_aside_first_line(&mut self, line: u64, first_line: FirstLine) -> Split<'_> {
        let line_start = self.start;
        self.start += first_line.consumed;
        self.next_line += 1;
        let raw_len = first_line.raw_len.min(RAW_KEEP_BYTES);
        Split::Malformed {
            line,
            malformation: Malformation::RunawayQuote {
                column: first_line.column,
            },
            raw: &self.buffer[line_start..line_start + raw_len],
        }
    }

    /// Skips a line longer than the limit without holding it, keeping its first 64 KiB.
    fn skip_long_line(&mut self, line: u64) -> io::Result<Split<'_>> {
        let keep = (self.end - self.start).min(RAW_KEEP_BYTES);
        self.kept_raw.clear();
        self.kept_raw
            .extend_from_slice(&self.buffer[self.start..self.start + keep]);
        loop {
            if let Some(offset) = memchr(self.terminator, &self.buffer[self.start..self.end]) {
                self.start += offset + 1;
                break;
            }
            self.start = self.end;
            if self.at_eof {
                break;
            }
            self.fill()?;
        }
        self.next_line += 1;
        if self.terminator == b'\n' && self.kept_raw.last() == Some(&b'\r') {
            self.kept_raw.pop();
        }
        Ok(Split::Malformed {
            line,
            malformation: Malformation::TooLong {
                limit: self.max_record_bytes,
            },
            raw: &self.kept_raw,
        })
    }
}

/// Parses one record from the start of `data` into `fields`/`ends`.
fn parse_record(
    data: &[u8],
    at_eof: bool,
    delimiter: u8,
    terminator: u8,
    fields: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> Parsed {
    fields.clear();
    ends.clear();
    let mut shape = Shape::default();
    let mut position = 0;
    let strips_carriage_return = terminator == b'\n';
    loop {
        let column = ends.len();
        if data.get(position) == Some(&b'"') {
            position += 1;
            // Inside a quoted value: runs to the next lone quote, across line ends.
            loop {
                let Some(offset) = memchr2(b'"', terminator, &data[position..]) else {
                    if !at_eof {
                        return Parsed::NeedMore {
                            first_line: shape.first_line,
                        };
                    }
                    fields.extend_from_slice(&data[position..]);
                    ends.push(fields.len());
                    shape.quote_fault = Some(Malformation::UnterminatedQuote { column });
                    shape.consumed = data.len();
                    shape.raw_len = data.len();
                    return Parsed::Complete(shape);
                };
                let found = position + offset;
                if data[found] == terminator {
                    fields.extend_from_slice(&data[position..=found]);
                    shape.inner_line_breaks += 1;
                    if shape.first_line.is_none() {
                        let raw_len =
                            if strips_carriage_return && found > 0 && data[found - 1] == b'\r' {
                                found - 1
                            } else {
                                found
                            };
                        shape.first_line = Some(FirstLine {
                            raw_len,
                            consumed: found + 1,
                            column,
                        });
                    }
                    position = found + 1;
                    continue;
                }
                fields.extend_from_slice(&data[position..found]);
                match data.get(found + 1) {
                    Some(b'"') => {
                        fields.push(b'"');
                        position = found + 2;
                    }
                    None if !at_eof => {
                        return Parsed::NeedMore {
                            first_line: shape.first_line,
                        };
                    }
                    _ => {
                        position = found + 1;
                        break;
                    }
                }
            }
            // After the closing quote: the value must end here.
            match data.get(position) {
                None => {
                    if !at_eof {
                        return Parsed::NeedMore {
                            first_line: shape.first_line,
                        };
                    }
                    ends.push(fields.len());
                    shape.consumed = position;
                    shape.raw_len = position;
                    return Parsed::Complete(shape);
                }
                Some(&byte) if byte == delimiter => {
                    ends.push(fields.len());
                    position += 1;
                    continue;
                }
                Some(&byte) if byte == terminator => {
                    ends.push(fields.len());
                    shape.consumed = position + 1;
                    shape.raw_len = position;
                    return Parsed::Complete(shape);
                }
                Some(b'\r') if strips_carriage_return => match data.get(position + 1) {
                    Some(b'\n') => {
                        ends.push(fields.len());
                        shape.consumed = position + 2;
                        shape.raw_len = position;
                        return Parsed::Complete(shape);
                    }
                    None if !at_eof => {
                        return Parsed::NeedMore {
                            first_line: shape.first_line,
                        };
                    }
                    _ => {
                        shape
                            .quote_fault
                            .get_or_insert(Malformation::TextAfterQuote { column });
                    }
                },
                Some(_) => {
                    // An inner quote that was not doubled: keep the rest of the value as text
                    // so the record can still be shown, and report the fault.
                    shape
                        .quote_fault
                        .get_or_insert(Malformation::TextAfterQuote { column });
                }
            }
        }
        // An unquoted value (or the rest of a value after a misplaced quote).
        let Some(offset) = memchr2(delimiter, terminator, &data[position..]) else {
            if !at_eof {
                return Parsed::NeedMore {
                    first_line: shape.first_line,
                };
            }
            let mut value_end = data.len();
            if strips_carriage_return && value_end > position && data[value_end - 1] == b'\r' {
                value_end -= 1;
            }
            fields.extend_from_slice(&data[position..value_end]);
            ends.push(fields.len());
            shape.consumed = data.len();
            shape.raw_len = value_end;
            return Parsed::Complete(shape);
        };
        let found = position + offset;
        if data[found] == delimiter {
            fields.extend_from_slice(&data[position..found]);
            ends.push(fields.len());
            position = found + 1;
            continue;
        }
        let mut value_end = found;
        if strips_carriage_return && value_end > position && data[value_end - 1] == b'\r' {
            value_end -= 1;
        }
        fields.extend_from_slice(&data[position..value_end]);
        ends.push(fields.len());
        shape.consumed = found + 1;
        shape.raw_len = value_end;
        return Parsed::Complete(shape);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Step {
        Record(u64, Vec<String>, String),
        Malformed(u64, Malformation, String),
    }

    fn split_all(input: &[u8], expected_fields: Option<usize>, limit: usize) -> Vec<Step> {
        split_chunked(input, expected_fields, limit, usize::MAX)
    }

    /// Splits `input` delivered `chunk` bytes at a time, as a slow pipe would.
    fn split_chunked(
        input: &[u8],
        expected_fields: Option<usize>,
        limit: usize,
        chunk: usize,
    ) -> Vec<Step> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let count = self.0.len().min(out.len()).min(self.1);
                out[..count].copy_from_slice(&self.0[..count]);
                self.0 = &self.0[count..];
                Ok(count)
            }
        }
        let mut splitter = CsvSplitter::new(Trickle(input, chunk), limit);
        if let Some(count) = expected_fields {
            splitter.expect_fields(count);
        }
        let mut steps = Vec::new();
        loop {
            match splitter.next_record().unwrap() {
                Split::End => return steps,
                Split::Record {
                    line,
                    fields,
                    ends,
                    raw,
                } => {
                    let mut values = Vec::new();
                    let mut start = 0;
                    for &end in ends {
                        values.push(String::from_utf8(fields[start..end].to_vec()).unwrap());
                        start = end;
                    }
                    steps.push(Step::Record(
                        line,
                        values,
                        String::from_utf8_lossy(raw).into_owned(),
                    ));
                }
                Split::Malformed {
                    line,
                    malformation,
                    raw,
                } => steps.push(Step::Malformed(
                    line,
                    malformation,
                    String::from_utf8_lossy(raw).into_owned(),
                )),
            }
        }
    }

    fn record(line: u64, values: &[&str], raw: &str) -> Step {
        Step::Record(
            line,
            values.iter().map(|value| value.to_string()).collect(),
            raw.to_owned(),
        )
    }

    #[test]
    fn quoted_values_keep_delimiters_doubled_quotes_and_line_breaks() {
        let input = b"a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",z\n3,,\n";
        let steps = split_all(input, Some(3), 1 << 20);
        assert_eq!(
            steps,
            vec![
                record(1, &["a", "b", "c"], "a,b,c"),
                record(
                    2,
                    &["1", "x, y", "say \"hi\""],
                    "1,\"x, y\",\"say \"\"hi\"\"\""
                ),
                record(3, &["2", "two\nlines", "z"], "2,\"two\nlines\",z"),
                record(5, &["3", "", ""], "3,,"),
            ]
        );
    }

    #[test]
    fn crlf_lone_cr_and_missing_final_newline_all_end_records() {
        let crlf = split_all(b"a,b\r\n\"1\",2\r\n\r\n3,4", Some(2), 1 << 20);
        assert_eq!(
            crlf,
            vec![
                record(1, &["a", "b"], "a,b"),
                record(2, &["1", "2"], "\"1\",2"),
                record(4, &["3", "4"], "3,4"),
            ]
        );
        let lone_cr = split_all(b"a,b\r1,2\r3,4\r", Some(2), 1 << 20);
        assert_eq!(lone_cr.len(), 3);
        assert_eq!(lone_cr[2], record(3, &["3", "4"], "3,4"));
    }

    #[test]
    fn semicolon_and_tab_files_are_recognised_from_the_header() {
        let mut splitter = CsvSplitter::new(&b"a;b;c\n1;2;3\n"[..], 1 << 20);
        splitter.next_record().unwrap();
        assert_eq!(splitter.delimiter(), b';');
        let mut splitter = CsvSplitter::new(&b"a\tb\n1\t2\n"[..], 1 << 20);
        splitter.next_record().unwrap();
        assert_eq!(splitter.delimiter(), b'\t');
    }

    #[test]
    fn an_inner_quote_that_is_not_doubled_is_reported_on_its_own_line() {
        let input = b"a,b\n1,\"the \"Katiba\" group\"\n2,ok\n";
        let steps = split_all(input, Some(2), 1 << 20);
        assert_eq!(
            steps[1],
            Step::Malformed(
                2,
                Malformation::TextAfterQuote { column: 1 },
                "1,\"the \"Katiba\" group\"".into()
            )
        );
        assert_eq!(steps[2], record(3, &["2", "ok"], "2,ok"));
    }

    #[test]
    fn an_unbalanced_quote_costs_one_line_not_the_rest_of_the_file() {
        let input = b"a,b,c\n1,\"never closed,x\n2,\"fine\",y\n3,plain,z\n";
        let steps = split_all(input, Some(3), 1 << 20);
        assert_eq!(
            steps[1..],
            [
                Step::Malformed(
                    2,
                    Malformation::RunawayQuote { column: 1 },
                    "1,\"never closed,x".into()
                ),
                record(3, &["2", "fine", "y"], "2,\"fine\",y"),
                record(4, &["3", "plain", "z"], "3,plain,z"),
            ]
        );
        // Unclosed until the end of the file: same recovery.
        let steps = split_all(b"a,b\n1,\"open\n2,x\n3,y\n", Some(2), 1 << 20);
        assert_eq!(
            steps[1..],
            [
                Step::Malformed(
                    2,
                    Malformation::RunawayQuote { column: 1 },
                    "1,\"open".into()
                ),
                record(3, &["2", "x"], "2,x"),
                record(4, &["3", "y"], "3,y"),
            ]
        );
    }

    #[test]
    fn a_quote_open_at_the_end_of_a_one_line_record_is_unterminated() {
        let steps = split_all(b"a,b\n1,\"open", Some(2), 1 << 20);
        assert_eq!(
            steps[1],
            Step::Malformed(
                2,
                Malformation::UnterminatedQuote { column: 1 },
                "1,\"open".into()
            )
        );
    }

    #[test]
    fn wrong_field_counts_are_reported_with_both_counts() {
        let steps = split_all(b"a,b,c\n1,2\n1,2,3,4\n", Some(3), 1 << 20);
        assert_eq!(
            steps[1],
            Step::Malformed(
                2,
                Malformation::FieldCount {
                    found: 2,
                    expected: 3
                },
                "1,2".into()
            )
        );
        assert!(matches!(
            steps[2],
            Step::Malformed(3, Malformation::FieldCount { found: 4, .. }, _)
        ));
    }

    #[test]
    fn an_over_long_line_is_skipped_unread_and_reading_resumes_after_it() {
        let long = "x".repeat(300_000);
        let input = format!("a,b\n1,{long}\n2,ok\n");
        let steps = split_chunked(input.as_bytes(), Some(2), 1000, 4096);
        let Step::Malformed(2, Malformation::TooLong { limit: 1000 }, raw) = &steps[1] else {
            panic!("{:?}", &steps[1]);
        };
        assert!(raw.len() <= RAW_KEEP_BYTES && raw.starts_with("1,xxx"));
        assert_eq!(steps[2], record(3, &["2", "ok"], "2,ok"));
    }

    /// Random well-formed CSV from fixed seeds, written by the `csv` crate: the splitter gives
    /// back exactly the fields written, as the `csv` crate's reader does, at every chunking.
    #[test]
    fn well_formed_csv_splits_like_the_csv_crate_reads_it() {
        use rand::{RngExt, SeedableRng};
        const PIECES: [&str; 12] = [
            "Ségou",
            ",",
            "\"",
            "\n",
            "\r\n",
            " ",
            "MLI4682",
            "",
            "a\"b",
            "Ténenkou, Mopti",
            "x",
            "12.5",
        ];
        for seed in 0..40 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let columns = rng.random_range(1..8);
            let rows: Vec<Vec<String>> = (0..rng.random_range(1..30))
                .map(|_| {
                    (0..columns)
                        .map(|_| {
                            (0..rng.random_range(0..4))
                                .map(|_| PIECES[rng.random_range(0..PIECES.len())])
                                .collect()
                        })
                        .collect()
                })
                .collect();
            let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
            for row in &rows {
                writer.write_record(row).unwrap();
            }
            let bytes = writer.into_inner().unwrap();
            let reference: Vec<Vec<String>> = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&bytes[..])
                .records()
                .map(|record| record.unwrap().iter().map(String::from).collect())
                .collect();
            assert_eq!(reference, rows, "seed {seed}");
            for chunk in [1, 3, 64, usize::MAX] {
                let split: Vec<Vec<String>> = split_chunked(&bytes, None, 1 << 20, chunk)
                    .into_iter()
                    .map(|step| match step {
                        Step::Record(_, values, _) => values,
                        Step::Malformed(line, malformation, raw) => {
                            panic!("seed {seed}: line {line} {malformation:?} {raw:?}")
                        }
                    })
                    .collect();
                assert_eq!(split, reference, "seed {seed}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn trickled_input_splits_exactly_like_input_read_at_once() {
        let input = b"a,b,c\r\n1,\"x,\r\ny\",\"q\"\"\"\r\n\r\n2,\"bad\"quote,z\n3,\"open,z\n4,5,6";
        let whole = split_all(input, Some(3), 1 << 20);
        for chunk in [1, 2, 3, 5, 7] {
            assert_eq!(
                split_chunked(input, Some(3), 1 << 20, chunk),
                whole,
                "chunk {chunk}"
            );
        }
    }
}
