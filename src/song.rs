//! The parsed, format-independent melody: what every corpus parser produces and
//! what the grid encoder consumes (and what decoding gives back for playback).

use std::fmt;
use std::str::FromStr;

use num_rational::Ratio;
use serde::{Deserialize, Serialize};

/// A duration or an onset, in quarter notes, as an exact fraction.
pub type Quarters = Ratio<u32>;

/// `q` as a float, for timing (playback, the playhead).
pub fn quarters_f64(q: Quarters) -> f64 {
    f64::from(*q.numer()) / f64::from(*q.denom())
}

/// One monophonic melody with its metadata (serialisable, so that the training worker can
/// hand a corpus song to the page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Song {
    /// Identifier: `!!!SCT` in `**kern`, the first word of `KEY[…]` in EsAC,
    /// otherwise derived from the file name.
    pub id: String,
    /// Title (`!!!OTL`, `CUT[…]`), if given.
    pub title: Option<String>,
    /// Where the song came from.
    pub source: Source,
    /// Region (`!!!ARE`, `REG[…]`), if given.
    pub region: Option<String>,
    /// The key the song is written in (the first one when it changes).
    pub key: Key,
    /// Meters in order of appearance (more than one when the meter changes).
    pub meters: Vec<Meter>,
    /// Notes and rests in order, ties already resolved into flags.
    pub events: Vec<Event>,
}

impl Song {
    /// A song made rather than read (a tune, a test): no title, region or source file.
    pub fn new(id: &str, key: Key, meters: Vec<Meter>, events: Vec<Event>) -> Song {
        Song {
            id: id.to_owned(),
            title: None,
            source: Source {
                file: String::new(),
                record: None,
            },
            region: None,
            key,
            meters,
            events,
        }
    }
}

impl Song {
    /// The bars of the song on a grid of `step` quarter notes, from its events' bar numbers.
    pub fn bars(&self, step: Quarters) -> Vec<BarSpan> {
        let mut bars: Vec<BarSpan> = Vec::new();
        let mut at = 0usize;
        let mut current = None;
        for event in &self.events {
            let steps = (event.duration / step).to_integer() as usize;
            if current != Some(event.bar) {
                bars.push(BarSpan {
                    start: at,
                    len: 0,
                    meter: None,
                });
                current = Some(event.bar);
            }
            if let Some(bar) = bars.last_mut() {
                bar.len += steps;
            }
            at += steps;
        }
        for bar in &mut bars {
            bar.meter = self
                .meters
                .iter()
                .copied()
                .find(|&m| m.steps(step) == Some(bar.len));
        }
        bars
    }

    /// How lists name the song ([`display_name`]).
    pub fn display_name(&self) -> String {
        display_name(&self.id, self.title.as_deref())
    }
}

/// How lists name a song: "Title (id)", or the id alone.
pub fn display_name(id: &str, title: Option<&str>) -> String {
    title.map_or_else(|| id.to_owned(), |t| format!("{t} ({id})"))
}

/// One bar of a song on a grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarSpan {
    /// First grid step of the bar.
    pub start: usize,
    /// Grid steps in it.
    pub len: usize,
    /// The song's meter whose bar is this long, if one is (so meter changes are followed).
    pub meter: Option<Meter>,
}

/// The origin of a song: file name and, for files holding several records, which one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// File name as given (for archive members: `archive.zip/inner/path`).
    pub file: String,
    /// Zero-based index of the record within the file, when the file holds more than one.
    pub record: Option<usize>,
}

/// Major or minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Major mode.
    Major,
    /// Minor mode.
    Minor,
}

impl Mode {
    /// Every mode, as offered to a person.
    pub const ALL: [Mode; 2] = [Mode::Major, Mode::Minor];
}

impl FromStr for Mode {
    type Err = String;

    /// Reads a mode's name as [`Mode`]'s `Display` writes it.
    fn from_str(text: &str) -> Result<Mode, String> {
        Mode::ALL
            .into_iter()
            .find(|mode| mode.to_string() == text.trim())
            .ok_or_else(|| {
                let names: Vec<String> = Mode::ALL.iter().map(ToString::to_string).collect();
                format!("`{text}` is not a mode: {}", names.join(" or "))
            })
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Major => "major",
            Mode::Minor => "minor",
        })
    }
}

/// A key: tonic spelled as a letter plus accidental, and a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    /// Tonic letter, `'A'`..=`'G'` (upper case).
    pub letter: char,
    /// Accidental in semitones: -1 flat, +1 sharp, 0 natural (double accidentals allowed).
    pub alter: i8,
    /// Major or minor.
    pub mode: Mode,
}

impl Key {
    /// Builds a key; `None` unless `letter` is one of A–G (either case).
    pub fn new(letter: char, alter: i8, mode: Mode) -> Option<Key> {
        let letter = letter.to_ascii_uppercase();
        letter_semitone(letter)?;
        Some(Key {
            letter,
            alter,
            mode,
        })
    }

    /// C major, the fallback when a file names no key at all.
    pub const C_MAJOR: Key = Key {
        letter: 'C',
        alter: 0,
        mode: Mode::Major,
    };

    /// MIDI number of the tonic in octave 4 counted by letter plus accidental,
    /// as music21's `Pitch.ps` does (so C♭ gives 59, B♯ gives 72).
    pub fn tonic_midi4(&self) -> i32 {
        60 + letter_semitone(self.letter).unwrap_or(0) + i32::from(self.alter)
    }

    /// Pitch class of the tonic, 0 (C) to 11 (B).
    pub fn pitch_class(&self) -> u8 {
        // rem_euclid(12) is always in 0..12, so the cast cannot truncate.
        self.tonic_midi4().rem_euclid(12) as u8
    }

    /// The key signature: sharps (positive) or flats (negative) on the circle of fifths,
    /// −7..=7 (spellings beyond seven accidentals get the enharmonic signature).
    pub fn fifths(&self) -> i8 {
        // Position of each natural letter on the circle of fifths, counted from C.
        let fifths_of_letter = match letter_semitone(self.letter) {
            Some(5) => -1, // F
            Some(0) => 0,  // C
            Some(7) => 1,  // G
            Some(2) => 2,  // D
            Some(9) => 3,  // A
            Some(4) => 4,  // E
            _ => 5,        // B
        };
        let mut fifths = fifths_of_letter + 7 * i32::from(self.alter);
        if self.mode == Mode::Minor {
            fifths -= 3;
        }
        let fifths = match fifths {
            f if f > 7 => f - 12,
            f if f < -7 => f + 12,
            f => f,
        };
        // In −7..=7 after the wrap above.
        fifths as i8
    }

    /// The tonic spelled like `"Bb"`, `"F#"`, `"C"`.
    pub fn tonic_name(&self) -> String {
        let acc = if self.alter < 0 { "b" } else { "#" };
        let mut s = self.letter.to_string();
        s.push_str(&acc.repeat(usize::from(self.alter.unsigned_abs())));
        s
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.tonic_name(), self.mode)
    }
}

/// Semitones above C of a natural letter name (upper case), `None` if not A–G.
pub fn letter_semitone(letter: char) -> Option<i32> {
    Some(match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    })
}

/// A time signature such as 3/4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Meter {
    /// Beats per bar (upper number).
    pub numerator: u32,
    /// Beat unit (lower number).
    pub denominator: u32,
}

impl Meter {
    /// Parses `"3/4"`; `None` for anything else (including zero parts).
    pub fn parse(text: &str) -> Option<Meter> {
        let (n, d) = text.trim().split_once('/')?;
        let numerator: u32 = n.parse().ok()?;
        let denominator: u32 = d.parse().ok()?;
        (numerator > 0 && denominator > 0).then_some(Meter {
            numerator,
            denominator,
        })
    }

    /// Length of one bar in quarter notes.
    pub fn bar_length(&self) -> Quarters {
        Ratio::new(self.numerator * 4, self.denominator)
    }

    /// Grid steps of `step` quarter notes in one bar, if the bar is a whole number of them.
    pub fn steps(&self, step: Quarters) -> Option<usize> {
        let steps = self.bar_length() / step;
        (steps.is_integer() && *steps.numer() > 0).then(|| steps.to_integer() as usize)
    }
}

impl FromStr for Meter {
    type Err = String;

    fn from_str(text: &str) -> Result<Meter, String> {
        Meter::parse(text).ok_or_else(|| format!("`{text}` is not a meter like 3/4"))
    }
}

impl fmt::Display for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

/// What sounds during an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pitch {
    /// A note with its MIDI number (60 = middle C).
    Note(u8),
    /// Silence.
    Rest,
}

/// One note or rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The note's MIDI number, or a rest.
    pub pitch: Pitch,
    /// Length in quarter notes (always > 0).
    pub duration: Quarters,
    /// Bar the event starts in (0 for a pickup).
    pub bar: u32,
    /// The note is tied to the next event, which has the same pitch
    /// (parsers only set it when that holds).
    pub tie_to_next: bool,
    /// The event ends a phrase (`}` in kern, a line break in EsAC MEL).
    pub phrase_end: bool,
}

impl Event {
    /// A plain event (no tie, no phrase end).
    pub fn new(pitch: Pitch, duration: Quarters, bar: u32) -> Event {
        Event {
            pitch,
            duration,
            bar,
            tie_to_next: false,
            phrase_end: false,
        }
    }
}

/// Clears tie flags that do not lead into a note of the same pitch and
/// returns, for each cleared flag, the index of the event that had it.
/// Parsers call this once after reading a song.
pub fn resolve_ties(events: &mut [Event]) -> Vec<usize> {
    let mut broken = Vec::new();
    for i in 0..events.len() {
        if !events[i].tie_to_next {
            continue;
        }
        let ok = match (events[i].pitch, events.get(i + 1).map(|e| e.pitch)) {
            (Pitch::Note(a), Some(Pitch::Note(b))) => a == b,
            _ => false,
        };
        if !ok {
            events[i].tie_to_next = false;
            broken.push(i);
        }
    }
    broken
}
