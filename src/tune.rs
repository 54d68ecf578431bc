//! A generated tune as the user sees it: its tokens, where it came from, and how it is
//! presented (key, meter, tempo). Decoding to notes for the piano roll, the note list,
//! playback and MIDI happens here, once.

use serde::{Deserialize, Serialize};

use crate::encoding::grid::{self, Step, Token};
use crate::song::{Event, Key, Meter, Mode, Pitch, Song, Source};

/// How a tune came about, shown under it and carried by share links.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Name of the model that wrote it.
    pub model: String,
    /// Seed of the sampler.
    pub seed: u64,
    /// Sampling temperature.
    pub temperature: f32,
    /// Opening notes as typed (empty: none).
    pub primer: String,
    /// Maximum length asked for, in grid steps.
    pub max_len: usize,
    /// When it was made, milliseconds since 1970.
    pub created_ms: f64,
}

/// Key, meter and tempo chosen for display, playback and export. Tunes are generated in
/// C major / A minor; `shift` moves them to another key (−5 to +6 semitones).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Presentation {
    /// Semitones from C major / A minor, −5..=6.
    pub shift: i8,
    /// Meter for bar lines and MIDI.
    pub meter: Meter,
    /// Quarter notes per minute.
    pub tempo_bpm: f64,
}

impl Default for Presentation {
    fn default() -> Self {
        Self {
            shift: 0,
            meter: Meter {
                numerator: 4,
                denominator: 4,
            },
            tempo_bpm: 100.0,
        }
    }
}

/// The major tonic names by shift from C (−5..=6), as offered to the user.
pub const KEYS: [(i8, &str, &str); 12] = [
    (-5, "G", "E"),
    (-4, "Ab", "F"),
    (-3, "A", "F#"),
    (-2, "Bb", "G"),
    (-1, "B", "G#"),
    (0, "C", "A"),
    (1, "Db", "Bb"),
    (2, "D", "B"),
    (3, "Eb", "C"),
    (4, "E", "C#"),
    (5, "F", "D"),
    (6, "F#", "D#"),
];

impl Presentation {
    /// "G major / E minor" for the current shift.
    pub fn key_label(&self) -> String {
        KEYS.iter()
            .find(|(shift, ..)| *shift == self.shift)
            .map(|(_, major, minor)| format!("{major} major / {minor} minor"))
            .unwrap_or_else(|| "C major / A minor".into())
    }

    /// The major key written into MIDI files (the mode of a generated tune is not known).
    pub fn key(&self) -> Key {
        let name = KEYS
            .iter()
            .find(|(shift, ..)| *shift == self.shift)
            .map_or("C", |k| k.1);
        let mut chars = name.chars();
        let letter = chars.next().unwrap_or('C');
        let alter = match chars.next() {
            Some('b') => -1,
            Some('#') => 1,
            _ => 0,
        };
        Key::new(letter, alter, Mode::Major).unwrap_or(Key::C_MAJOR)
    }
}

/// A tune: tokens on the grid and where they came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tune {
    /// Grid tokens without the terminator, in C major / A minor.
    pub tokens: Vec<Token>,
    /// Where it came from.
    pub provenance: Provenance,
}

impl Tune {
    /// The tune as notes in the presentation's key and meter (grid `step`).
    pub fn song(&self, step: Step, presentation: &Presentation) -> Result<Song, grid::DecodeError> {
        let mut events = grid::decode(&self.tokens, step)?;
        let bar = presentation.meter.bar_length();
        let mut onset = num_rational::Ratio::from_integer(0);
        for event in &mut events {
            if let Pitch::Note(m) = event.pitch {
                let moved = i32::from(m) + i32::from(presentation.shift);
                event.pitch = Pitch::Note(moved.clamp(0, 127) as u8);
            }
            event.bar = 1 + (onset / bar).to_integer();
            onset += event.duration;
        }
        Ok(Song {
            id: format!("seed-{}", self.provenance.seed),
            title: None,
            source: Source {
                file: String::new(),
                record: None,
            },
            region: None,
            key: presentation.key(),
            meters: vec![presentation.meter],
            events,
        })
    }
}

/// Scientific pitch name of a MIDI number, e.g. 67 → `G4` (sharps for black keys).
pub fn note_name(midi: u8) -> String {
    const NAMES: [&str; 12] = [
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
    ];
    format!(
        "{}{}",
        NAMES[usize::from(midi % 12)],
        i32::from(midi / 12) - 1
    )
}

/// A compact label of an event: `G4 1/8`, `r 1/4`, `A4 3/8`.
pub fn event_label(event: &Event) -> String {
    let pitch = match event.pitch {
        Pitch::Note(m) => note_name(m),
        Pitch::Rest => "r".into(),
    };
    let whole = event.duration / 4;
    format!("{pitch} {}/{}", whole.numer(), whole.denom())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tune(text: &str) -> Tune {
        Tune {
            tokens: text.split(' ').map(|t| t.parse().unwrap()).collect(),
            provenance: Provenance {
                model: "m".into(),
                seed: 3,
                temperature: 1.0,
                primer: String::new(),
                max_len: 64,
                created_ms: 0.0,
            },
        }
    }

    #[test]
    fn songs_are_shifted_and_barred() {
        let presentation = Presentation {
            shift: -5,
            meter: Meter {
                numerator: 2,
                denominator: 4,
            },
            tempo_bpm: 90.0,
        };
        let song = tune("60 _ _ _ 62 _ _ _ r _ 64 _ _ _ _ _")
            .song(Step::Sixteenth, &presentation)
            .unwrap();
        let labels: Vec<String> = song.events.iter().map(event_label).collect();
        assert_eq!(labels, ["G3 1/4", "A3 1/4", "r 1/8", "B3 3/8"]);
        assert_eq!(
            song.events.iter().map(|e| e.bar).collect::<Vec<_>>(),
            [1, 1, 2, 2]
        );
        assert_eq!(song.key, Key::new('G', 0, Mode::Major).unwrap());
        assert_eq!(presentation.key_label(), "G major / E minor");
    }

    #[test]
    fn note_names() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(70), "A#4");
        assert_eq!(note_name(45), "A2");
    }
}
