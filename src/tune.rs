//! A generated tune as the user sees it: its tokens, where it came from, and how it is
//! presented (key, meter, tempo). Decoding to notes for the piano roll, the note list,
//! playback and MIDI happens here, once.

use serde::{Deserialize, Serialize};

use crate::encoding::grid::{self, Step, Token};
use crate::generate::{GenerateConfig, Written};
use crate::settings;
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

impl Provenance {
    /// How a tune written with `config` by the model named `model` came about, from the
    /// opening notes `primer` as typed, at `created_ms`.
    pub fn of(model: &str, config: &GenerateConfig, primer: &str, created_ms: f64) -> Self {
        Self {
            model: model.to_owned(),
            seed: config.sampler.seed,
            temperature: config.sampler.temperature,
            primer: primer.to_owned(),
            max_len: config.max_len,
            created_ms,
        }
    }
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
    /// The instrument the part is written for: notation, files and sound are moved by its
    /// transposition (a B♭ part is written a major second above concert pitch).
    #[serde(default)]
    pub instrument: Instrument,
}

impl Default for Presentation {
    fn default() -> Self {
        Self {
            shift: settings::KEY_SHIFT.default,
            meter: settings::METER,
            tempo_bpm: settings::TEMPO.default,
            instrument: Instrument::Concert,
        }
    }
}

/// Concert pitch or a transposing instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instrument {
    /// As it sounds (flute, violin, accordion, voice).
    #[default]
    Concert,
    /// B♭ instruments (clarinet, trumpet, tenor saxophone): written a major second higher.
    BFlat,
    /// E♭ instruments (alto saxophone): written a major sixth higher.
    EFlat,
    /// F instruments (horn): written a perfect fifth higher.
    F,
}

impl Instrument {
    /// Every choice, in the order offered.
    pub const ALL: [Instrument; 4] = [
        Instrument::Concert,
        Instrument::BFlat,
        Instrument::EFlat,
        Instrument::F,
    ];

    /// Semitones the part is written above concert pitch.
    pub fn written_above(self) -> i8 {
        match self {
            Instrument::Concert => 0,
            Instrument::BFlat => 2,
            Instrument::EFlat => 9,
            Instrument::F => 7,
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Instrument::Concert => "Concert pitch",
            Instrument::BFlat => "B♭ instrument",
            Instrument::EFlat => "E♭ instrument",
            Instrument::F => "F instrument",
        }
    }

    /// A short stable name (forms, share links).
    pub fn code(self) -> u8 {
        match self {
            Instrument::Concert => 0,
            Instrument::BFlat => 1,
            Instrument::EFlat => 2,
            Instrument::F => 3,
        }
    }

    /// The instrument with [`Instrument::code`] `code`.
    pub fn from_code(code: u8) -> Option<Instrument> {
        Instrument::ALL.into_iter().find(|i| i.code() == code)
    }
}

/// The meters a tune can be shown in: [`settings::METERS`], and its own when it is another.
pub fn meter_choices(current: Meter) -> Vec<Meter> {
    let mut meters = settings::METERS.to_vec();
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
    /// Semitones from C major / A minor to the written notes: the key's shift and the
    /// instrument's transposition.
    pub fn semitones(&self) -> i32 {
        i32::from(self.shift) + i32::from(self.instrument.written_above())
    }

    /// The written key's entry in [`KEYS`].
    fn written_key(&self) -> (i8, &'static str, &'static str) {
        // In −5..=6 after the wrap, so the cast cannot truncate.
        let shift = ((self.semitones() + 5).rem_euclid(12) - 5) as i8;
        KEYS.iter()
            .find(|(s, ..)| *s == shift)
            .copied()
            .unwrap_or(KEYS[5])
    }

    /// The written key of a tune in `mode`: "G major", "E minor", or "G major / E minor" when
    /// the mode is not known (tunes of unconditioned models).
    pub fn key_label(&self, mode: Option<Mode>) -> String {
        let (_, major, minor) = self.written_key();
        match mode {
            Some(Mode::Major) => format!("{major} major"),
            Some(Mode::Minor) => format!("{minor} minor"),
            None => format!("{major} major / {minor} minor"),
        }
    }

    /// The written key (MIDI files, notation): the tune's mode at the current shift and
    /// instrument (major when the
    /// mode is not known).
    pub fn key(&self, mode: Option<Mode>) -> Key {
        let minor = mode == Some(Mode::Minor);
        let (_, major_name, minor_name) = self.written_key();
        let name = if minor { minor_name } else { major_name };
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
    /// A written tune with where it came from.
    pub fn from_written(written: Written, provenance: Provenance) -> Tune {
        Tune {
            tokens: written.tokens,
            provenance,
            mode: written.mode,
            pickup: written.pickup,
        }
    }

    /// The tune as notes in the presentation's key and meter (grid `step`), barred from its
    /// pickup ([`grid::to_song`]).
    pub fn song(&self, step: Step, presentation: &Presentation) -> Result<Song, grid::DecodeError> {
        grid::to_song(
            &self.tokens,
            step,
            presentation.semitones(),
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
            instrument: Instrument::Concert,
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
    fn transposing_instruments_raise_the_written_part() {
        // A tune in G major (D4, F♯4 at concert pitch) for a B♭ clarinet is written in A
        // major, a major second higher; for an E♭ saxophone in E major, a major sixth higher;
        // for a horn in F in D major, a fifth higher.
        for (instrument, first, key) in [
            (Instrument::BFlat, "E4 1/4", "A major"),
            (Instrument::EFlat, "B4 1/4", "E major"),
            (Instrument::F, "A4 1/4", "D major"),
        ] {
            let presentation = Presentation {
                shift: -5,
                instrument,
                ..Presentation::default()
            };
            let song = tune("67 _ _ _ 71 _ _ _")
                .song(Step::Sixteenth, &presentation)
                .unwrap();
            assert_eq!(event_label(&song.events[0]), first, "{instrument:?}");
            assert_eq!(presentation.key_label(Some(Mode::Major)), key);
            assert_eq!(song.key.to_string(), key);
        }
    }

    #[test]
    fn note_names() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(70), "A#4");
        assert_eq!(note_name(45), "A2");
    }
}
