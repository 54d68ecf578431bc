//! Humdrum `**kern` parser for monophonic melodies.
//!
//! A file may hold several songs (each `**…` header up to the line where every
//! spine has ended with `*-`). When a song has several spines, the first
//! `**kern` spine is read (the leftmost sub-spine after a `*^` split) and a
//! warning says so. Reference records before a song's header and inside it
//! belong to it; those after the last song fill gaps in the last song.

use num_rational::Ratio;

use super::report::{Diagnostic, Rejection};
use super::text::{self, is_stray_control};
use super::{ParsedFile, ParsedSong, stem};
use crate::song::{
    Event, Key, Meter, Mode, Pitch, Quarters, Song, Source, letter_semitone, resolve_ties,
};

/// Parses `**kern` text from the file `name`.
pub fn parse(name: &str, text: &str) -> ParsedFile {
    let mut parser = Parser {
        name,
        refs: Refs::default(),
        song: None,
        done: Vec::new(),
        warnings: Vec::new(),
    };
    for (i, raw) in text::lines(text).enumerate() {
        let line_no = i + 1;
        if raw.chars().any(is_stray_control) {
            for c in text::stray_controls(line_no, raw) {
                parser.warn_here(Diagnostic {
                    line: Some(c.line),
                    column: Some(c.column),
                    message: format!("stray control byte 0x{:02x} read as a line break", c.byte),
                });
            }
            for part in raw.split(is_stray_control).filter(|p| !p.is_empty()) {
                parser.line(line_no, part);
            }
        } else {
            parser.line(line_no, raw);
        }
    }
    parser.finish()
}

/// Reference records the song metadata comes from.
#[derive(Debug, Default, Clone)]
struct Refs {
    title: Option<String>,
    id: Option<String>,
    region: Option<String>,
}

impl Refs {
    /// Records `!!!KEY: value` if it is one we use; the first value wins.
    fn record(&mut self, line: &str) {
        let Some((key, value)) = line.trim_start_matches('!').split_once(':') else {
            return;
        };
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let slot = match key.split('@').next().unwrap_or("").trim() {
            "OTL" => &mut self.title,
            "SCT" => &mut self.id,
            "ARE" => &mut self.region,
            _ => return,
        };
        slot.get_or_insert_with(|| value.to_owned());
    }

    fn fill_from(&mut self, other: Refs) {
        self.title = self.title.take().or(other.title);
        self.id = self.id.take().or(other.id);
        self.region = self.region.take().or(other.region);
    }
}

struct Parser<'a> {
    name: &'a str,
    refs: Refs,
    song: Option<Builder>,
    done: Vec<Builder>,
    warnings: Vec<Diagnostic>,
}

impl Parser<'_> {
    fn warn_here(&mut self, d: Diagnostic) {
        match &mut self.song {
            Some(b) => b.warnings.push(d),
            None => self.warnings.push(d),
        }
    }

    fn line(&mut self, line_no: usize, line: &str) {
        if line.starts_with("!!") {
            let refs = self.song.as_mut().map_or(&mut self.refs, |b| &mut b.refs);
            if line.starts_with("!!!") {
                refs.record(line);
            }
            return;
        }
        if line.trim().is_empty() {
            return;
        }
        match &mut self.song {
            Some(b) => {
                b.line(line_no, line);
                if b.columns.is_empty() {
                    self.end_song();
                }
            }
            None if line.starts_with("**") => {
                let refs = std::mem::take(&mut self.refs);
                self.song = Some(Builder::start(line_no, line, refs));
            }
            None if line.starts_with('!') => {}
            None => self.warnings.push(Diagnostic::at(
                line_no,
                "line outside any **kern song ignored",
            )),
        }
    }

    fn end_song(&mut self) {
        if let Some(b) = self.song.take() {
            self.done.push(b);
        }
    }

    fn finish(mut self) -> ParsedFile {
        if let Some(b) = &mut self.song {
            b.warnings.push(Diagnostic::new(
                "file ends before the closing *- (song may be truncated)",
            ));
        }
        self.end_song();
        if let Some(last) = self.done.last_mut() {
            last.refs.fill_from(std::mem::take(&mut self.refs));
        } else if self.warnings.is_empty() {
            self.warnings
                .push(Diagnostic::new("no **kern header found"));
        }
        let many = self.done.len() > 1;
        let songs = self
            .done
            .into_iter()
            .enumerate()
            .map(|(i, b)| b.finish(self.name, many.then_some(i)))
            .collect();
        ParsedFile {
            songs,
            warnings: self.warnings,
        }
    }
}

/// One song being read.
struct Builder {
    refs: Refs,
    /// For each open spine: does it descend from the chosen `**kern` spine?
    columns: Vec<bool>,
    key: Option<Key>,
    key_signature: Option<String>,
    meters: Vec<Meter>,
    events: Vec<Event>,
    bar: u32,
    phrase_depth: i32,
    unbalanced_phrases: bool,
    error: Option<Rejection>,
    warnings: Vec<Diagnostic>,
}

impl Builder {
    fn start(line_no: usize, line: &str, refs: Refs) -> Builder {
        let fields: Vec<&str> = line.split('\t').collect();
        let first = fields.iter().position(|f| f.trim() == "**kern");
        let columns = fields
            .iter()
            .enumerate()
            .map(|(i, _)| Some(i) == first)
            .collect();
        let mut b = Builder {
            refs,
            columns,
            key: None,
            key_signature: None,
            meters: Vec::new(),
            events: Vec::new(),
            bar: 0,
            phrase_depth: 0,
            unbalanced_phrases: false,
            error: None,
            warnings: Vec::new(),
        };
        match first {
            None => b.reject(
                line_no,
                "no **kern spine",
                format!("no **kern spine in header '{}'", line.trim()),
            ),
            Some(i) if fields.len() > 1 => b.warnings.push(Diagnostic::at(
                line_no,
                format!(
                    "{} spines; reading the first **kern spine (column {})",
                    fields.len(),
                    i + 1
                ),
            )),
            Some(_) => {}
        }
        b
    }

    fn reject(&mut self, line_no: usize, reason: &str, message: String) {
        if self.error.is_none() {
            self.error = Some(Rejection::new(reason, Diagnostic::at(line_no, message)));
        }
    }

    fn line(&mut self, line_no: usize, line: &str) {
        if line.starts_with('!') {
            return;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != self.columns.len() {
            let msg = format!(
                "{} fields where {} spines are open",
                fields.len(),
                self.columns.len()
            );
            self.reject(line_no, "malformed spine structure", msg);
            // Resynchronise on the terminator so later songs in the file survive.
            if fields.iter().all(|f| *f == "*-") {
                self.columns.clear();
            }
            return;
        }
        let mine = self
            .columns
            .iter()
            .position(|&c| c)
            .and_then(|i| fields.get(i))
            .map(|f| f.trim());
        if line.starts_with('*') {
            if let Some(tok) = mine {
                self.interpretation(line_no, tok);
            }
            self.manipulate(&fields);
        } else if let Some(tok) = mine {
            if tok.starts_with('=') {
                self.barline(line_no, tok);
            } else if tok != "." && self.error.is_none() {
                self.data(line_no, tok);
            }
        }
    }

    /// Applies spine manipulators (`*^`, `*v`, `*-`, `*+`, `*x`) to the column list.
    fn manipulate(&mut self, fields: &[&str]) {
        let mut next = Vec::with_capacity(self.columns.len());
        let mut i = 0;
        while let (Some(&mine), Some(field)) = (self.columns.get(i), fields.get(i)) {
            match field.trim() {
                "*^" => next.extend([mine, mine]),
                "*-" => {}
                "*+" => next.extend([mine, false]),
                "*v" => {
                    let mut any = mine;
                    while fields.get(i + 1).map(|f| f.trim()) == Some("*v") {
                        i += 1;
                        any |= self.columns.get(i).copied().unwrap_or(false);
                    }
                    next.push(any);
                }
                "*x" if fields.get(i + 1).map(|f| f.trim()) == Some("*x") => {
                    next.push(self.columns.get(i + 1).copied().unwrap_or(false));
                    next.push(mine);
                    i += 1;
                }
                _ => next.push(mine),
            }
            i += 1;
        }
        self.columns = next;
    }

    fn interpretation(&mut self, line_no: usize, tok: &str) {
        let Some(body) = tok.strip_prefix('*') else {
            return;
        };
        if let Some(m) = body.strip_prefix('M').filter(|m| m.contains('/')) {
            match Meter::parse(m) {
                Some(meter) if self.meters.last() != Some(&meter) => self.meters.push(meter),
                Some(_) => {}
                None => self.warnings.push(Diagnostic::at(
                    line_no,
                    format!("meter '{tok}' not understood; ignored"),
                )),
            }
        } else if let Some(sig) = body.strip_prefix('k').filter(|s| s.starts_with('[')) {
            self.key_signature
                .get_or_insert_with(|| sig.trim_matches(['[', ']']).to_owned());
        } else if let Some((tonic, mode)) = body.split_once(':') {
            let Some(key) = parse_key(tonic) else { return };
            if !mode.is_empty() {
                self.warnings.push(Diagnostic::at(
                    line_no,
                    format!("mode '{mode}' read as {}", key.mode),
                ));
            }
            match self.key {
                None => self.key = Some(key),
                Some(first) if first != key => self.warnings.push(Diagnostic::at(
                    line_no,
                    format!("key changes to {key}; the first key ({first}) is kept"),
                )),
                Some(_) => {}
            }
        }
    }

    fn barline(&mut self, line_no: usize, tok: &str) {
        let digits: String = tok
            .trim_start_matches('=')
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        match digits.parse::<u32>() {
            Ok(n) => {
                if n < self.bar {
                    let msg = format!(
                        "bar numbers restart (bar {n} after bar {}): is a second melody appended?",
                        self.bar
                    );
                    self.warnings.push(Diagnostic::at(line_no, msg));
                }
                self.bar = n;
            }
            Err(_) if tok.starts_with("==") => {}
            Err(_) => self.bar = self.bar.saturating_add(1),
        }
    }

    fn data(&mut self, line_no: usize, tok: &str) {
        let mut subtokens = tok.split(' ').filter(|s| !s.is_empty());
        let Some(first) = subtokens.next() else {
            return;
        };
        if subtokens.next().is_some() {
            self.warnings.push(Diagnostic::at(
                line_no,
                format!("chord '{tok}': only its first note is kept"),
            ));
        }
        let note = match parse_note(first) {
            Ok(n) => n,
            Err(why) => {
                return self.reject(
                    line_no,
                    "unreadable note",
                    format!("cannot read '{first}': {why}"),
                );
            }
        };
        let Some(duration) = note.duration else {
            self.warnings.push(Diagnostic::at(
                line_no,
                format!("grace note '{first}' skipped"),
            ));
            return;
        };
        if note.tie_continues && !self.events.last().is_some_and(|e| e.tie_to_next) {
            self.warnings.push(Diagnostic::at(
                line_no,
                format!("tie continuation '{first}' without a tie start"),
            ));
        }
        self.phrase_depth += note.phrase_starts;
        if note.phrase_end {
            self.phrase_depth -= 1;
        }
        if self.phrase_depth < 0 || self.phrase_depth > 1 {
            self.unbalanced_phrases = true;
            self.phrase_depth = self.phrase_depth.clamp(0, 1);
        }
        let mut event = Event::new(note.pitch, duration, self.bar);
        event.tie_to_next = note.tie_to_next;
        event.phrase_end = note.phrase_end;
        self.events.push(event);
    }

    fn finish(mut self, file: &str, record: Option<usize>) -> ParsedSong {
        let id = self.refs.id.clone().unwrap_or_else(|| match record {
            Some(r) => format!("{}#{}", stem(file), r + 1),
            None => stem(file).to_owned(),
        });
        if self.unbalanced_phrases || self.phrase_depth != 0 {
            self.warnings
                .push(Diagnostic::new("unbalanced phrase marks { }"));
        }
        for i in resolve_ties(&mut self.events) {
            let bar = self.events.get(i).map_or(0, |e| e.bar);
            self.warnings.push(Diagnostic::new(format!(
                "tie in bar {bar} does not lead to the same pitch; ignored"
            )));
        }
        let key = self.key.unwrap_or_else(|| {
            let (key, how) = match self.key_signature.as_deref().and_then(major_from_signature) {
                Some(k) => (k, "from the key signature"),
                None => (Key::C_MAJOR, "by default"),
            };
            self.warnings.push(Diagnostic::new(format!(
                "no key given; {key} assumed {how}"
            )));
            key
        });
        let result = match self.error.take() {
            Some(e) => Err(e),
            None if !self
                .events
                .iter()
                .any(|e| matches!(e.pitch, Pitch::Note(_))) =>
            {
                Err(Rejection::new(
                    "no notes",
                    Diagnostic::new("the song has no notes"),
                ))
            }
            None => Ok(Song {
                id: id.clone(),
                title: self.refs.title.clone(),
                source: Source {
                    file: file.to_owned(),
                    record,
                },
                region: self.refs.region.clone(),
                key,
                meters: self.meters,
                events: self.events,
            }),
        };
        ParsedSong {
            id,
            title: self.refs.title,
            record,
            result,
            warnings: self.warnings,
        }
    }
}

/// Parses a key interpretation's tonic: `G`, `g`, `b-`, `F#` (lower case = minor).
fn parse_key(tonic: &str) -> Option<Key> {
    let mut chars = tonic.chars();
    let letter = chars.next()?;
    let mode = if letter.is_ascii_lowercase() {
        Mode::Minor
    } else {
        Mode::Major
    };
    let mut alter = 0i8;
    for c in chars {
        alter += match c {
            '#' => 1,
            '-' => -1,
            _ => return None,
        };
    }
    Key::new(letter, alter, mode)
}

/// The major key with the key signature `f#c#` or `b-e-` (only standard orders).
fn major_from_signature(sig: &str) -> Option<Key> {
    const SHARPS: [(char, i8); 8] = [
        ('C', 0),
        ('G', 0),
        ('D', 0),
        ('A', 0),
        ('E', 0),
        ('B', 0),
        ('F', 1),
        ('C', 1),
    ];
    const FLATS: [(char, i8); 8] = [
        ('C', 0),
        ('F', 0),
        ('B', -1),
        ('E', -1),
        ('A', -1),
        ('D', -1),
        ('G', -1),
        ('C', -1),
    ];
    let sharps = sig.matches('#').count();
    let flats = sig.matches('-').count();
    let (letter, alter) = match (sharps, flats) {
        (n, 0) => *SHARPS.get(n)?,
        (0, n) => *FLATS.get(n)?,
        _ => return None,
    };
    Key::new(letter, alter, Mode::Major)
}

/// What one kern note or rest token says.
#[derive(Debug, PartialEq, Eq)]
struct NoteToken {
    pitch: Pitch,
    /// `None` for grace notes.
    duration: Option<Quarters>,
    tie_to_next: bool,
    tie_continues: bool,
    phrase_starts: i32,
    phrase_end: bool,
}

/// Parses a note or rest token such as `{8.cc#[`, `4r`, `12B-`, `0G]`, `3%2e`.
fn parse_note(tok: &str) -> Result<NoteToken, String> {
    let mut digits = String::new();
    let mut ratio_digits: Option<String> = None;
    let mut dots = 0u32;
    let mut letter: Option<char> = None;
    let mut letter_count = 0i32;
    let mut rest = false;
    let mut alter = 0i32;
    let mut grace = false;
    let (mut tie_start, mut tie_mid, mut tie_end) = (false, false, false);
    let (mut phrase_starts, mut phrase_end) = (0, false);
    let mut last_was_digit = false;
    for c in tok.chars() {
        let is_digit = c.is_ascii_digit();
        match c {
            '0'..='9' => {
                let target = ratio_digits.as_mut().unwrap_or(&mut digits);
                if !target.is_empty() && !last_was_digit {
                    return Err("two durations in one token".into());
                }
                target.push(c);
            }
            '%' if !digits.is_empty() && ratio_digits.is_none() => {
                ratio_digits = Some(String::new())
            }
            '.' if !digits.is_empty() => dots += 1,
            'a'..='g' | 'A'..='G' => match letter {
                Some(l) if l != c => return Err("two pitches in one token".into()),
                _ => {
                    letter = Some(c);
                    letter_count += 1;
                }
            },
            'r' => rest = true,
            '#' => alter += 1,
            '-' => alter -= 1,
            'n' => {}
            'q' => grace = true,
            '[' => tie_start = true,
            ']' => tie_end = true,
            '_' => tie_mid = true,
            '{' => phrase_starts += 1,
            '}' => phrase_end = true,
            _ => {}
        }
        last_was_digit = is_digit;
    }
    let pitch = match (letter, rest) {
        (Some(_), true) => return Err("both a pitch and a rest".into()),
        (None, true) => Pitch::Rest,
        (None, false) => return Err("no pitch or rest".into()),
        (Some(l), false) => {
            let octave = if l.is_ascii_lowercase() {
                3 + letter_count
            } else {
                4 - letter_count
            };
            let base = letter_semitone(l.to_ascii_uppercase()).unwrap_or(0);
            let midi = (octave + 1) * 12 + base + alter;
            Pitch::Note(
                u8::try_from(midi)
                    .ok()
                    .filter(|m| *m <= 127)
                    .ok_or("pitch outside the MIDI range")?,
            )
        }
    };
    let duration = match (digits.is_empty(), grace) {
        (_, true) => None,
        (true, false) => return Err("no duration".into()),
        (false, false) => Some(duration(&digits, ratio_digits.as_deref(), dots)?),
    };
    Ok(NoteToken {
        pitch,
        duration,
        tie_to_next: tie_start || tie_mid,
        tie_continues: tie_mid || tie_end,
        phrase_starts,
        phrase_end,
    })
}

/// Duration in quarters of a kern reciprocal (`4`, `12`, `0` breve, `00` long,
/// `3%2` rational) with `dots` augmentation dots.
fn duration(digits: &str, ratio: Option<&str>, dots: u32) -> Result<Quarters, String> {
    const TOO_LONG: &str = "duration number too large";
    let base = if digits.bytes().all(|b| b == b'0') {
        let zeros = u32::try_from(digits.len()).map_err(|_| TOO_LONG)?;
        Ratio::from_integer(
            4u32.checked_shl(zeros)
                .filter(|_| zeros <= 8)
                .ok_or(TOO_LONG)?,
        )
    } else {
        let n: u32 = digits.parse().map_err(|_| TOO_LONG)?;
        let m: u32 = match ratio {
            Some(r) => r
                .parse()
                .ok()
                .filter(|m| *m > 0)
                .ok_or("bad rational duration")?,
            None => 1,
        };
        Ratio::new(m.checked_mul(4).ok_or(TOO_LONG)?, n)
    };
    if dots > 8 {
        return Err("too many dots".into());
    }
    // d · (2^(k+1) − 1) / 2^k
    let factor = Ratio::new((1u32 << (dots + 1)) - 1, 1u32 << dots);
    let numer = base.numer().checked_mul(*factor.numer()).ok_or(TOO_LONG)?;
    let denom = base.denom().checked_mul(*factor.denom()).ok_or(TOO_LONG)?;
    Ok(Ratio::new(numer, denom))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_tokens() {
        let n = parse_note("{8.cc#[").unwrap();
        assert_eq!(n.pitch, Pitch::Note(73));
        assert_eq!(n.duration, Some(Ratio::new(3, 4)));
        assert!(n.tie_to_next && !n.tie_continues && n.phrase_starts == 1);
        assert_eq!(parse_note("12B-").unwrap().duration, Some(Ratio::new(1, 3)));
        assert_eq!(parse_note("12B-").unwrap().pitch, Pitch::Note(58));
        assert_eq!(
            parse_note("0GG]").unwrap().duration,
            Some(Ratio::from_integer(8))
        );
        assert_eq!(parse_note("0GG]").unwrap().pitch, Pitch::Note(43));
        assert_eq!(parse_note("3%2e").unwrap().duration, Some(Ratio::new(8, 3)));
        assert_eq!(parse_note("2..r").unwrap().duration, Some(Ratio::new(7, 2)));
        assert_eq!(
            parse_note("4.B8G").unwrap_err(),
            "two durations in one token"
        );
        assert!(parse_note("4cd").is_err());
        assert!(parse_note("4").is_err());
        assert!(parse_note("").is_err());
        assert!(parse_note("4cccccccccc").is_err());
        assert!(parse_note("99999999999c").is_err());
        assert_eq!(parse_note("8qc").unwrap().duration, None);
    }

    #[test]
    fn keys_and_signatures() {
        assert_eq!(parse_key("b-").unwrap().to_string(), "Bb minor");
        assert_eq!(parse_key("F#").unwrap().to_string(), "F# major");
        assert!(parse_key("X").is_none());
        assert_eq!(
            major_from_signature("b-e-").unwrap().to_string(),
            "Bb major"
        );
        assert_eq!(major_from_signature("f#").unwrap().to_string(), "G major");
        assert_eq!(major_from_signature("").unwrap().to_string(), "C major");
    }
}
