//! Native EsAC (Essen Associative Code) parser: single records or whole `.sm`
//! databases.
//!
//! A record is a run of fields `NAME[…]` (three capital letters, the body may
//! span lines). A new record starts at a database-name line (`ERK1`, or with
//! the leftover prefix `F[ERK1`) or when a field repeats; a second `MEL`
//! directly after the first continues the melody.
//!
//! Mode is not written in `KEY[…]`. It is derived the way the Essen `**kern`
//! conversion guessed it: **a song is minor when the first phrase (first line
//! of `MEL`) contains a lowered third or sixth degree (`3b` or `6b`, in any
//! octave), and major otherwise.** On the Erk songs this reproduces the kern
//! files' mode in all but one song.
//!
//! Bar numbers come from the two-space bar lines; a line break also starts a
//! new bar when the bar so far is at least as long as the shortest bar of the
//! song's meters (EsAC writes no bar line at a phrase end that is one).

use num_rational::Ratio;

use super::report::{Diagnostic, Rejection};
use super::text::{self, is_stray_control};
use super::{ParsedFile, ParsedSong, stem};
use crate::song::{Event, Key, Meter, Mode, Pitch, Quarters, Song, Source, resolve_ties};

/// Parses EsAC text from the file `name`.
pub fn parse(name: &str, text: &str) -> ParsedFile {
    let (records, mut warnings) = split_records(text);
    if records.is_empty() {
        warnings.push(Diagnostic::new("no EsAC record found"));
    }
    let many = records.len() > 1;
    let songs = records
        .into_iter()
        .enumerate()
        .map(|(i, r)| record_to_song(name, many.then_some(i), r))
        .collect();
    ParsedFile { songs, warnings }
}

/// One `NAME[…]` field.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    body: String,
    /// Line and column (1-based) where the body starts.
    line: usize,
    column: usize,
    closed: bool,
}

/// The fields of one record.
#[derive(Debug, Default)]
struct Record {
    fields: Vec<Field>,
    line: usize,
}

impl Record {
    fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// If `s` starts with a field opener `ABC[`, returns the name.
fn field_opener(s: &str) -> Option<&str> {
    let name = s.get(..3)?;
    (name.bytes().all(|b| b.is_ascii_uppercase()) && s[3..].starts_with('[')).then_some(name)
}

/// Groups the text into records of fields.
fn split_records(text: &str) -> (Vec<Record>, Vec<Diagnostic>) {
    let mut records: Vec<Record> = Vec::new();
    let mut current = Record::default();
    let mut open: Option<Field> = None;
    let mut warnings = Vec::new();
    for (i, raw) in text::lines(text).enumerate() {
        let line_no = i + 1;
        for c in text::stray_controls(line_no, raw) {
            warnings.push(Diagnostic {
                line: Some(c.line),
                column: Some(c.column),
                message: format!("stray control byte 0x{:02x} removed", c.byte),
            });
        }
        let cleaned: String;
        let mut rest: &str = if raw.chars().any(is_stray_control) {
            cleaned = raw.chars().filter(|c| !is_stray_control(*c)).collect();
            &cleaned
        } else {
            raw
        };
        let mut column = 1;
        loop {
            if let Some(field) = &mut open {
                if let Some(end) = rest.find(']') {
                    field.body.push_str(&rest[..end]);
                    field.closed = true;
                    push_field(&mut records, &mut current, open.take());
                    column += end + 1;
                    rest = &rest[end + 1..];
                    continue;
                }
                if field_opener(rest).is_none() {
                    field.body.push_str(rest);
                    field.body.push('\n');
                    break;
                }
                let msg = format!(
                    "{} field opened at line {} has no closing ]",
                    field.name, field.line
                );
                warnings.push(Diagnostic::at(line_no, msg));
                push_field(&mut records, &mut current, open.take());
            }
            let trimmed = rest.trim_start();
            column += rest.len() - trimmed.len();
            rest = trimmed;
            if rest.is_empty() || rest.trim_end() == ">>" {
                break;
            }
            if let Some(name) = field_opener(rest) {
                open = Some(Field {
                    name: name.to_owned(),
                    body: String::new(),
                    line: line_no,
                    column: column + 4,
                    closed: false,
                });
                if current.fields.is_empty() {
                    current.line = line_no;
                }
                column += 4;
                rest = &rest[4..];
                continue;
            }
            // A database name, possibly with the leftover `F[` prefix: starts a record.
            let name = rest.trim_end();
            let name = name.split_once('[').map_or(name, |(_, n)| n);
            if name.split_whitespace().count() != 1 {
                warnings.push(Diagnostic {
                    line: Some(line_no),
                    column: Some(column),
                    message: "text outside any field ignored".into(),
                });
            } else if !current.fields.is_empty() {
                records.push(std::mem::take(&mut current));
            }
            break;
        }
    }
    if let Some(field) = open.take() {
        warnings.push(Diagnostic::at(
            field.line,
            format!(
                "{} field has no closing ] before the end of the file",
                field.name
            ),
        ));
        push_field(&mut records, &mut current, Some(field));
    }
    if !current.fields.is_empty() {
        records.push(current);
    }
    (records, warnings)
}

/// Adds a finished field to the current record, starting a new record when
/// the field repeats (except `MEL` right after `MEL`).
fn push_field(records: &mut Vec<Record>, current: &mut Record, field: Option<Field>) {
    let Some(field) = field else { return };
    let continues_mel =
        field.name == "MEL" && current.fields.last().is_some_and(|f| f.name == "MEL");
    if !continues_mel && current.field(&field.name).is_some() {
        let line = field.line;
        records.push(std::mem::take(current));
        current.line = line;
    }
    current.fields.push(field);
}

fn reject(reason: &str, detail: Diagnostic) -> Rejection {
    Rejection::new(reason, detail)
}

fn record_to_song(file: &str, record: Option<usize>, rec: Record) -> ParsedSong {
    let text_of = |name: &str| {
        rec.field(name)
            .map(|f| f.body.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    let key_field = rec.field("KEY");
    let id = key_field
        .and_then(|f| f.body.split_whitespace().next())
        .map_or_else(
            || match record {
                Some(r) => format!("{}#{}", stem(file), r + 1),
                None => stem(file).to_owned(),
            },
            str::to_owned,
        );
    let title = text_of("CUT").filter(|t| !t.is_empty());
    let mut warnings = Vec::new();
    let result = (|| {
        let key_field = key_field.ok_or_else(|| {
            reject(
                "KEY field missing",
                Diagnostic::at(rec.line, "KEY field missing"),
            )
        })?;
        let head = parse_key_field(key_field, &mut warnings)?;
        let mels: Vec<&Field> = rec.fields.iter().filter(|f| f.name == "MEL").collect();
        let first = mels.first().ok_or_else(|| {
            reject(
                "MEL field missing",
                Diagnostic::at(rec.line, "MEL field missing"),
            )
        })?;
        if let Some(open) = mels.iter().find(|f| !f.closed) {
            let msg = format!(
                "MEL field opened at line {} is not closed (truncated record?)",
                open.line
            );
            return Err(reject("truncated record", Diagnostic::at(open.line, msg)));
        }
        if mels.len() > 1 {
            warnings.push(Diagnostic::at(
                mels[1].line,
                format!("{} MEL fields joined into one melody", mels.len()),
            ));
        }
        let mut mel = Melody::new(&head, first.line, first.column);
        for (i, field) in mels.iter().enumerate() {
            if i > 0 {
                mel.phrase_end();
                mel.reposition(field.line, field.column);
            }
            mel.read(&field.body)?;
        }
        let (events, mode) = mel.finish(&mut warnings)?;
        let key = Key { mode, ..head.tonic };
        Ok(Song {
            id: id.clone(),
            title: title.clone(),
            source: Source {
                file: file.to_owned(),
                record,
            },
            region: text_of("REG").filter(|t| !t.is_empty()),
            key,
            meters: head.meters,
            events,
        })
    })();
    ParsedSong {
        id,
        title,
        record,
        result,
        warnings,
    }
}

/// What `KEY[id unit tonic meter…]` says.
struct KeyHead {
    unit: Quarters,
    tonic: Key,
    meters: Vec<Meter>,
}

fn parse_key_field(field: &Field, warnings: &mut Vec<Diagnostic>) -> Result<KeyHead, Rejection> {
    let bad = |msg: String| reject("bad KEY field", Diagnostic::at(field.line, msg));
    let words: Vec<&str> = field.body.split_whitespace().collect();
    let (Some(unit), Some(tonic)) = (words.get(1), words.get(2)) else {
        return Err(bad(format!(
            "KEY[{}] needs an id, a unit and a tonic",
            field.body.trim()
        )));
    };
    let unit = unit
        .parse::<u32>()
        .ok()
        .filter(|u| u.is_power_of_two() && *u <= 128)
        .map(|u| Ratio::new(4, u))
        .ok_or_else(|| {
            bad(format!(
                "unit '{unit}' is not a note value (01, 02, 04, 08, 16, …)"
            ))
        })?;
    let tonic =
        parse_tonic(tonic).ok_or_else(|| bad(format!("tonic '{tonic}' is not a note name")))?;
    let mut meters = Vec::new();
    for word in words.iter().skip(3) {
        if let Some(m) = Meter::parse(word) {
            meters.push(m);
        } else if word.eq_ignore_ascii_case("frei") {
            warnings.push(Diagnostic::at(field.line, "free meter (FREI)"));
        } else if !(word.starts_with('%') && word.ends_with('%')) {
            warnings.push(Diagnostic::at(
                field.line,
                format!("meter '{word}' not understood; ignored"),
            ));
        }
    }
    Ok(KeyHead {
        unit,
        tonic,
        meters,
    })
}

/// `G`, `Bb`, `F#`, `Eb`, `B-` → a (major, for now) key.
fn parse_tonic(s: &str) -> Option<Key> {
    let mut chars = s.chars();
    let letter = chars.next()?;
    let mut alter = 0i8;
    for c in chars {
        alter += match c {
            '#' => 1,
            'b' | '-' => -1,
            _ => return None,
        };
    }
    Key::new(letter, alter, Mode::Major)
}

/// Semitones above the tonic of major-scale degrees 1–7.
const MAJOR_SCALE: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];

/// The MEL reader: a small state machine over the characters.
struct Melody {
    unit: Quarters,
    tonic: i32,
    shortest_bar: Option<Quarters>,
    events: Vec<Event>,
    bar: u32,
    /// Duration read so far in the current bar.
    bar_length: Quarters,
    line: usize,
    column: usize,
    /// Line of the first MEL body (leading spaces there mean "no pickup").
    first_line: usize,
    at_line_start: bool,
    /// Start index and line of an open `( … )` group.
    triplet: Option<(usize, usize)>,
    in_first_phrase: bool,
    minor_hint: bool,
    ended: bool,
    warnings: Vec<Diagnostic>,
}

/// A note element being read: octave marks, degree (`None` for a `^` hold),
/// alterations, duration marks.
#[derive(Default)]
struct Element {
    octave: i32,
    degree: Option<u32>,
    hold: bool,
    alter: i32,
    doublings: u32,
    dots: u32,
}

impl Melody {
    fn new(head: &KeyHead, line: usize, column: usize) -> Melody {
        Melody {
            unit: head.unit,
            tonic: head.tonic.tonic_midi4(),
            shortest_bar: head.meters.iter().map(Meter::bar_length).min(),
            events: Vec::new(),
            bar: 0,
            bar_length: Ratio::from_integer(0),
            line,
            column,
            first_line: line,
            at_line_start: true,
            triplet: None,
            in_first_phrase: true,
            minor_hint: false,
            ended: false,
            warnings: Vec::new(),
        }
    }

    fn reposition(&mut self, line: usize, column: usize) {
        self.line = line;
        self.column = column;
    }

    fn error(&self, message: String) -> Rejection {
        reject(
            "unreadable melody",
            Diagnostic {
                line: Some(self.line),
                column: Some(self.column),
                message,
            },
        )
    }

    /// Reads one MEL body.
    fn read(&mut self, body: &str) -> Result<(), Rejection> {
        let chars: Vec<char> = body.chars().collect();
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            let mut used = 1;
            match c {
                '\n' => {
                    self.phrase_end();
                    self.line += 1;
                    self.column = 0;
                    self.at_line_start = true;
                }
                ' ' | '\t' => {
                    used = chars[i..]
                        .iter()
                        .take_while(|c| matches!(c, ' ' | '\t'))
                        .count();
                    if self.at_line_start && self.events.is_empty() && self.line == self.first_line
                    {
                        self.bar = 1;
                    } else if used >= 2 && !self.at_line_start && !self.events.is_empty() {
                        self.new_bar();
                    }
                }
                '/' if chars.get(i + 1) == Some(&'/') => {
                    self.ended = true;
                    if chars[i + 2..].iter().any(|c| !c.is_whitespace()) {
                        let d = Diagnostic {
                            line: Some(self.line),
                            column: Some(self.column),
                            message: "text after the end mark // ignored".into(),
                        };
                        self.warnings.push(d);
                    }
                    return Ok(());
                }
                '(' if self.triplet.is_none() => {
                    self.triplet = Some((self.events.len(), self.line))
                }
                ')' => self.close_triplet()?,
                '-' | '+' | '0'..='7' | '^' => used = self.element(&chars[i..])?,
                _ => return Err(self.error(format!("unexpected '{c}' in MEL"))),
            }
            i += used;
            self.column += used;
        }
        Ok(())
    }

    fn new_bar(&mut self) {
        self.bar = self.bar.saturating_add(1);
        self.bar_length = Ratio::from_integer(0);
    }

    fn phrase_end(&mut self) {
        if let Some(last) = self.events.last_mut() {
            last.phrase_end = true;
            self.in_first_phrase = false;
            if self.shortest_bar.is_some_and(|b| self.bar_length >= b) {
                self.new_bar();
            }
        }
    }

    fn close_triplet(&mut self) -> Result<(), Rejection> {
        let (start, _) = self
            .triplet
            .take()
            .ok_or_else(|| self.error("')' without '('".into()))?;
        let group = self.events.get_mut(start..).unwrap_or_default();
        if group.is_empty() {
            return Err(self.error("empty triplet group".into()));
        }
        for e in group {
            let third = e.duration / 3;
            e.duration -= third;
            self.bar_length -= third;
        }
        Ok(())
    }

    /// Reads one note, rest or hold starting at `chars[0]`; returns the characters used.
    fn element(&mut self, chars: &[char]) -> Result<usize, Rejection> {
        let mut el = Element::default();
        let mut n = 0;
        while let Some(&c) = chars.get(n) {
            let has_pitch = el.degree.is_some();
            match c {
                '-' if !has_pitch && !el.hold => el.octave -= 1,
                '+' if !has_pitch && !el.hold => el.octave += 1,
                '^' if !has_pitch && !el.hold && el.octave == 0 => el.hold = true,
                '0'..='7' if !has_pitch && !el.hold => el.degree = c.to_digit(10),
                '#' if has_pitch && el.doublings == 0 && el.dots == 0 => el.alter += 1,
                'b' if has_pitch && el.doublings == 0 && el.dots == 0 => el.alter -= 1,
                '_' if (has_pitch || el.hold) && el.dots == 0 => el.doublings += 1,
                '.' if has_pitch || el.hold => el.dots += 1,
                _ => break,
            }
            n += 1;
        }
        if el.degree.is_none() && !el.hold {
            return Err(self.error("octave mark without a scale degree".into()));
        }
        self.push(el)?;
        Ok(n)
    }

    fn push(&mut self, el: Element) -> Result<(), Rejection> {
        if el.doublings > 8 || el.dots > 4 {
            return Err(self.error("duration marks out of range".into()));
        }
        let doubled = self.unit * (1u32 << el.doublings);
        let duration = doubled * Ratio::new((1u32 << (el.dots + 1)) - 1, 1u32 << el.dots);
        let pitch = match el.degree {
            None => {
                let err = self.error("'^' hold before any note".into());
                let prev = self.events.last_mut().ok_or(err)?;
                prev.tie_to_next = matches!(prev.pitch, Pitch::Note(_));
                prev.pitch
            }
            Some(0) => Pitch::Rest,
            Some(d) => {
                let offset = MAJOR_SCALE.get(d as usize - 1).copied().unwrap_or(0);
                if self.in_first_phrase && el.alter < 0 && (d == 3 || d == 6) {
                    self.minor_hint = true;
                }
                let midi = self.tonic + offset + el.alter + 12 * el.octave;
                let midi = u8::try_from(midi).ok().filter(|m| *m <= 127);
                Pitch::Note(midi.ok_or_else(|| self.error("pitch outside the MIDI range".into()))?)
            }
        };
        self.at_line_start = false;
        self.events.push(Event::new(pitch, duration, self.bar));
        self.bar_length += duration;
        Ok(())
    }

    fn finish(mut self, warnings: &mut Vec<Diagnostic>) -> Result<(Vec<Event>, Mode), Rejection> {
        warnings.append(&mut self.warnings);
        if let Some((_, line)) = self.triplet {
            return Err(reject(
                "unreadable melody",
                Diagnostic::at(line, "triplet '(' is never closed"),
            ));
        }
        if !self.ended {
            warnings.push(Diagnostic::at(self.line, "MEL does not end with //"));
        }
        if !self
            .events
            .iter()
            .any(|e| matches!(e.pitch, Pitch::Note(_)))
        {
            return Err(reject("no notes", Diagnostic::new("the song has no notes")));
        }
        if let Some(last) = self.events.last_mut() {
            last.phrase_end = true;
        }
        for i in resolve_ties(&mut self.events) {
            let bar = self.events.get(i).map_or(0, |e| e.bar);
            warnings.push(Diagnostic::new(format!(
                "tie in bar {bar} does not lead to the same pitch; ignored"
            )));
        }
        let mode = if self.minor_hint {
            Mode::Minor
        } else {
            Mode::Major
        };
        Ok((self.events, mode))
    }
}
