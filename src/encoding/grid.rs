//! The tutorial's time-grid encoding.
//!
//! A song becomes one token per grid step: the MIDI number at a note onset,
//! `r` at a rest onset, `_` for every further step of the same event. `.` is
//! the terminator (and the padding symbol of the training windows). By default
//! the song is transposed to C major / A minor exactly as the tutorial's music21
//! code did, and tied notes are merged into one held note (the tutorial wrote a
//! new onset for each tied continuation).

use std::fmt;
use std::str::FromStr;

use num_rational::Ratio;
use thiserror::Error;

use crate::song::{Event, Key, Meter, Mode, Pitch, Quarters, Song};

/// One grid symbol.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub enum Token {
    /// `.`: end of a song, also the window padding.
    End,
    /// `_`: the previous event goes on for one more step.
    Hold,
    /// `r`: a rest starts.
    Rest,
    /// A note with this MIDI number starts.
    Note(u8),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::End => f.write_str("."),
            Token::Hold => f.write_str("_"),
            Token::Rest => f.write_str("r"),
            Token::Note(m) => write!(f, "{m}"),
        }
    }
}

/// Tokens as text, separated by spaces (`60 _ _ r _ 62`), as the tutorial writes them.
pub fn to_text(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(Token::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A string that is not a grid token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("'{0}' is not a token (expected '.', '_', 'r' or a MIDI number 0–127)")]
pub struct BadToken(pub String);

impl FromStr for Token {
    type Err = BadToken;

    fn from_str(s: &str) -> Result<Token, BadToken> {
        match s {
            "." => Ok(Token::End),
            "_" => Ok(Token::Hold),
            "r" => Ok(Token::Rest),
            _ if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => s
                .parse::<u8>()
                .ok()
                .filter(|m| *m <= 127)
                .map(Token::Note)
                .ok_or_else(|| BadToken(s.to_owned())),
            _ => Err(BadToken(s.to_owned())),
        }
    }
}

impl From<Token> for String {
    fn from(t: Token) -> String {
        t.to_string()
    }
}

impl TryFrom<String> for Token {
    type Error = BadToken;

    fn try_from(s: String) -> Result<Token, BadToken> {
        s.parse()
    }
}

/// Grid resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Step {
    /// One step per eighth note.
    Eighth,
    /// One step per sixteenth note (the tutorial's).
    #[default]
    Sixteenth,
    /// One step per thirty-second note.
    ThirtySecond,
}

impl Step {
    /// Length of one step in quarter notes.
    pub fn quarters(self) -> Quarters {
        match self {
            Step::Eighth => Ratio::new(1, 2),
            Step::Sixteenth => Ratio::new(1, 4),
            Step::ThirtySecond => Ratio::new(1, 8),
        }
    }
}

crate::settings::choices!(Step, "step", [
    Eighth => "1/8",
    Sixteenth => "1/16",
    ThirtySecond => "1/32",
]);

/// How songs are put on the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GridConfig {
    /// Grid resolution.
    pub step: Step,
    /// Transpose to C major / A minor (the tutorial) or keep the original key.
    pub transpose: bool,
    /// Merge tied notes into one held note (true) or write a new onset for
    /// each tied continuation as the tutorial did (false).
    pub merge_ties: bool,
}

impl Default for GridConfig {
    fn default() -> GridConfig {
        GridConfig {
            step: Step::Sixteenth,
            transpose: true,
            merge_ties: true,
        }
    }
}

impl GridConfig {
    /// Semitones added to every note of a song in `key`.
    pub fn shift(&self, key: &Key) -> i32 {
        if self.transpose {
            transposition(key)
        } else {
            0
        }
    }
}

/// The tutorial's transposition: `60 − ps(tonic in octave 4)` for major,
/// `69 − ps(tonic in octave 4)` for minor (music21's
/// `Interval(key.tonic, Pitch("C"/"A"))`, so it can go up or down by up to
/// 11 semitones and C♭ counts as 59).
pub fn transposition(key: &Key) -> i32 {
    60 + i32::from(transposed_tonic(key.mode)) - key.tonic_midi4()
}

/// The pitch class of a transposed song's tonic in `mode`: C (0) in major, A (9) in minor.
pub fn transposed_tonic(mode: Mode) -> u8 {
    match mode {
        Mode::Major => 0,
        Mode::Minor => 9,
    }
}

/// Why a song cannot be put on the grid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A duration (or onset) that is not a whole number of steps.
    #[error("{} in bar {bar} does not fit the {step} grid", describe(*duration))]
    OffGrid {
        /// Bar of the offending event.
        bar: u32,
        /// Its duration in quarters.
        duration: Quarters,
        /// The grid.
        step: Step,
    },
    /// A note moved outside MIDI 0–127 by the transposition.
    #[error("note {midi} in bar {bar} leaves the MIDI range after transposing by {shift}")]
    OutOfRange {
        /// Bar of the note.
        bar: u32,
        /// Original MIDI number.
        midi: u8,
        /// Transposition in semitones.
        shift: i32,
    },
}

impl EncodeError {
    /// Short class for report totals.
    pub fn reason(&self) -> &'static str {
        match self {
            EncodeError::OffGrid { duration, .. } if is_tuplet(*duration) => "triplet off the grid",
            EncodeError::OffGrid { .. } => "duration off the grid",
            EncodeError::OutOfRange { .. } => "pitch out of range",
        }
    }
}

/// A duration whose denominator has a factor other than 2.
fn is_tuplet(d: Quarters) -> bool {
    !d.denom().is_power_of_two()
}

/// "triplet", or "a 1/32 note" (duration expressed as a fraction of a whole note).
fn describe(d: Quarters) -> String {
    if is_tuplet(d) {
        "triplet".into()
    } else {
        let whole = d / 4;
        format!("a {}/{} note", whole.numer(), whole.denom())
    }
}

/// A song on the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The tokens, without terminator.
    pub tokens: Vec<Token>,
    /// Tied continuations merged into holds (each changed one token from the
    /// seed's encoding).
    pub tie_merges: usize,
}

/// Puts `song` on the grid. Fails on the first event that is off the grid or
/// leaves the MIDI range.
pub fn encode(song: &Song, cfg: &GridConfig) -> Result<Encoded, EncodeError> {
    let step = cfg.step.quarters();
    let shift = cfg.shift(&song.key);
    let mut tokens = Vec::new();
    let mut tie_merges = 0;
    let mut tied_from_previous = false;
    for e in &song.events {
        let steps = e.duration / step;
        if !steps.is_integer() || steps.to_integer() == 0 {
            return Err(EncodeError::OffGrid {
                bar: e.bar,
                duration: e.duration,
                step: cfg.step,
            });
        }
        let onset = match e.pitch {
            Pitch::Rest => Token::Rest,
            Pitch::Note(m) => {
                let moved = u8::try_from(i32::from(m) + shift)
                    .ok()
                    .filter(|n| *n <= 127);
                Token::Note(moved.ok_or(EncodeError::OutOfRange {
                    bar: e.bar,
                    midi: m,
                    shift,
                })?)
            }
        };
        let merge = cfg.merge_ties && tied_from_previous;
        tie_merges += usize::from(merge);
        tokens.push(if merge { Token::Hold } else { onset });
        tokens.extend(std::iter::repeat_n(
            Token::Hold,
            steps.to_integer() as usize - 1,
        ));
        tied_from_previous = e.tie_to_next;
    }
    Ok(Encoded { tokens, tie_merges })
}

/// Why tokens cannot be read back as events.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// A `_` with no note or rest before it.
    #[error("hold '_' at position {0} has no note or rest before it")]
    HoldWithoutOnset(usize),
    /// A note moved outside MIDI 0–127 when restoring the key.
    #[error("note at position {0} leaves the MIDI range when restoring the key")]
    OutOfRange(usize),
}

/// Reads tokens back into events (up to the first terminator, if any):
/// each onset and its holds become one event of `1 + holds` steps. Bars are
/// left at 0 and no ties or phrase ends are set; see [`to_song`] for those.
pub fn decode(tokens: &[Token], step: Step) -> Result<Vec<Event>, DecodeError> {
    let step = step.quarters();
    let mut events: Vec<Event> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let pitch = match t {
            Token::End => break,
            Token::Hold => {
                let last = events.last_mut().ok_or(DecodeError::HoldWithoutOnset(i))?;
                last.duration += step;
                continue;
            }
            Token::Rest => Pitch::Rest,
            Token::Note(m) => Pitch::Note(*m),
        };
        events.push(Event::new(pitch, step, 0));
    }
    Ok(events)
}

/// Builds a playable song from (generated or encoded) tokens: the one path from tokens to
/// notes for the command line and the page. Decodes them, moves every note by `shift`
/// semitones (`-cfg.shift(&key)` undoes the encoder's transposition; the page moves a tune to
/// the key chosen for it), and numbers bars by the first meter: bar 0 is a pickup of `pickup`
/// grid steps (none when 0), then bars from 1.
pub fn to_song(
    tokens: &[Token],
    step: Step,
    shift: i32,
    id: &str,
    key: Key,
    meters: Vec<Meter>,
    pickup: usize,
) -> Result<Song, DecodeError> {
    let mut events = decode(tokens, step)?;
    let bar_length = meters.first().map(Meter::bar_length);
    let pickup = step.quarters() * Ratio::from_integer(pickup as u32);
    let mut onset: Quarters = Ratio::from_integer(0);
    for (i, e) in events.iter_mut().enumerate() {
        if let Pitch::Note(m) = e.pitch {
            let moved = u8::try_from(i32::from(m) + shift)
                .ok()
                .filter(|n| *n <= 127);
            e.pitch = Pitch::Note(moved.ok_or(DecodeError::OutOfRange(i))?);
        }
        e.bar = match bar_length {
            None => 0,
            Some(_) if onset < pickup => 0,
            Some(b) => 1 + ((onset - pickup) / b).to_integer(),
        };
        onset += e.duration;
    }
    Ok(Song::new(id, key, meters, events))
}
