//! A generated tune as the user sees it: its tokens, where it came from, and how it is
//! presented (key, meter, tempo). Decoding to notes for the piano roll, the note list,
//! playback and MIDI happens here, once.

use serde::{Deserialize, Serialize};

use crate::encoding::grid::{self, Step, Token};
use crate::song::{Event, Key, Meter, Mode, Pitch, Song};

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

/// Meters offered for a model that was not trained with meters (a conditioned model offers the
/// meters it learnt).
pub const DEFAULT_METERS: [Meter; 5] = [
    Meter {
        numerator: 4,
        denominator: 4,
    },
    Meter {
        numerator: 3,
        denominator: 4,
    },
    Meter {
        numerator: 2,
        denominator: 4,
    },
    Meter {
        numerator: 6,
        denominator: 8,
    },
    Meter {
        numerator: 3,
        denominator: 8,
    },
];

/// The meters a tune can be shown in: [`DEFAULT_METERS`], and its own when it is another.
pub fn meter_choices(current: Meter) -> Vec<Meter> {
    let mut meters = DEFAULT_METERS.to_vec();
    if !meters.contains(&current) {
        meters.push(current);
    }
    meters
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
    /// The key of a tune in `mode` at the current shift: "G major", "E minor", or
    /// "G major / E minor" when the mode is not known (tunes of unconditioned models).
    pub fn key_label(&self, mode: Option<Mode>) -> String {
        let (_, major, minor) = KEYS
            .iter()
            .find(|(shift, ..)| *shift == self.shift)
            .copied()
            .unwrap_or(KEYS[5]);
        match mode {
            Some(Mode::Major) => format!("{major} major"),
            Some(Mode::Minor) => format!("{minor} minor"),
            None => format!("{major} major / {minor} minor"),
        }
    }

    /// The key written into MIDI files: the tune's mode at the current shift (major when the
    /// mode is not known).
    pub fn key(&self, mode: Option<Mode>) -> Key {
        let minor = mode == Some(Mode::Minor);
        let name = KEYS
            .iter()
            .find(|(shift, ..)| *shift == self.shift)
            .map_or("C", |k| if minor { k.2 } else { k.1 });
        let mut chars = name.chars();
        let letter = chars.next().unwrap_or('C');
        let alter = match chars.next() {
            Some('b') => -1,
            Some('#') => 1,
            _ => 0,
        };
        let mode = if minor { Mode::Minor } else { Mode::Major };
        Key::new(letter, alter, mode).unwrap_or(Key::C_MAJOR)
    }
}

/// A tune: tokens on the grid and where they came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tune {
    /// Grid tokens without the terminator, in C major / A minor.
    pub tokens: Vec<Token>,
    /// Where it came from.
    pub provenance: Provenance,
    /// The mode it was written in (known for conditioned models).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Grid steps before the first bar line.
    #[serde(default)]
    pub pickup: usize,
}

impl Tune {
    /// The tune as notes in the presentation's key and meter (grid `step`), barred from its
    /// pickup ([`grid::to_song`]).
    pub fn song(&self, step: Step, presentation: &Presentation) -> Result<Song, grid::DecodeError> {
        grid::to_song(
            &self.tokens,
            step,
            i32::from(presentation.shift),
            &format!("seed-{}", self.provenance.seed),
            presentation.key(self.mode),
            vec![presentation.meter],
            self.pickup,
        )
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
            mode: None,
            pickup: 0,
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
        assert_eq!(presentation.key_label(None), "G major / E minor");
        assert_eq!(presentation.key_label(Some(Mode::Minor)), "E minor");
        assert_eq!(
            presentation.key(Some(Mode::Minor)),
            Key::new('E', 0, Mode::Minor).unwrap()
        );
    }

    #[test]
    fn note_names() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(70), "A#4");
        assert_eq!(note_name(45), "A2");
    }
}
