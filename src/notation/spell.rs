//! Spelling MIDI pitches for a key: the key's own notes by its signature, a minor key's raised
//! sixth and seventh as sharpened letters, other notes with sharps in sharp keys and flats in
//! flat keys (a natural letter first).

use crate::song::{Key, Mode, letter_semitone};

/// A pitch as written: letter, alteration in semitones and octave (C4 is middle C).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spelled {
    /// `'A'..='G'`.
    pub letter: char,
    /// −2..=2: flats negative, sharps positive.
    pub alter: i8,
    /// Scientific octave number.
    pub octave: i32,
}

impl Spelled {
    /// The note's letter name as folk players read it under the staff: `C`, `F♯`, `B♭`, `E𝄫`.
    pub fn name(&self) -> String {
        let sign = match self.alter {
            -2 => "𝄫",
            -1 => "♭",
            1 => "♯",
            2 => "𝄪",
            _ => "",
        };
        format!("{}{sign}", self.letter)
    }
}

const LETTERS: [char; 7] = ['C', 'D', 'E', 'F', 'G', 'A', 'B'];
const SHARPS: [char; 7] = ['F', 'C', 'G', 'D', 'A', 'E', 'B'];

/// The alteration the key signature gives `letter`.
pub fn signature_alter(letter: char, key: &Key) -> i8 {
    let fifths = key.fifths();
    let order = |l: char| SHARPS.iter().position(|&s| s == l).unwrap_or(0) as i8;
    if fifths > 0 && order(letter) < fifths {
        1
    } else if fifths < 0 && 6 - order(letter) < -fifths {
        -1
    } else {
        0
    }
}

/// Spells `midi` in `key`.
pub fn spell(midi: u8, key: &Key) -> Spelled {
    let pc = i32::from(midi) % 12;
    let at = |letter: char, alter: i8| {
        let natural = letter_semitone(letter).unwrap_or(0);
        (natural + i32::from(alter)).rem_euclid(12) == pc
    };
    let tonic = LETTERS.iter().position(|&l| l == key.letter).unwrap_or(0);
    let degree = |steps: usize| LETTERS[(tonic + steps) % 7];
    let raised = if key.mode == Mode::Minor {
        // The sixth and seventh of the minor scale, a semitone up (melodic and harmonic minor).
        [degree(5), degree(6)]
            .into_iter()
            .map(|l| (l, signature_alter(l, key) + 1))
            .find(|&(l, a)| at(l, a))
    } else {
        None
    };
    let (letter, alter) = LETTERS
        .iter()
        .map(|&l| (l, signature_alter(l, key)))
        .find(|&(l, a)| at(l, a))
        .or(raised)
        .or_else(|| LETTERS.iter().map(|&l| (l, 0)).find(|&(l, a)| at(l, a)))
        .unwrap_or_else(|| {
            // A chromatic note between two letters: flat for the lowered degrees musicians
            // write as flats (♭2, ♭3, ♭6 and ♭7 in major, ♭2 in minor), sharp otherwise
            // (♯4; in minor the major third).
            let above_tonic = (pc - i32::from(key.pitch_class())).rem_euclid(12);
            let flats: &[i32] = match key.mode {
                Mode::Major => &[1, 3, 8, 10],
                Mode::Minor => &[1],
            };
            let alter = if flats.contains(&above_tonic) { -1 } else { 1 };
            let letter = LETTERS
                .iter()
                .copied()
                .find(|&l| at(l, alter))
                .unwrap_or('C');
            (letter, alter)
        });
    let natural = letter_semitone(letter).unwrap_or(0);
    let octave = (i32::from(midi) - i32::from(alter) - natural).div_euclid(12) - 1;
    Spelled {
        letter,
        alter,
        octave,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(letter: char, alter: i8, mode: Mode) -> Key {
        Key::new(letter, alter, mode).unwrap()
    }

    fn names(midis: &[u8], k: &Key) -> Vec<String> {
        midis
            .iter()
            .map(|&m| {
                let s = spell(m, k);
                let acc = match s.alter {
                    -1 => "b",
                    1 => "#",
                    _ => "",
                };
                format!("{}{acc}{}", s.letter, s.octave)
            })
            .collect()
    }

    /// Each case: a key, pitches, and how they are spelled in it.
    type Case = ((char, i8, Mode), &'static [u8], &'static [&'static str]);

    fn check(cases: &[Case]) {
        for &((letter, alter, mode), midis, spelled) in cases {
            assert_eq!(names(midis, &key(letter, alter, mode)), spelled);
        }
    }

    #[test]
    fn key_notes_follow_the_signature() {
        check(&[
            (('F', 0, Mode::Major), &[65, 70, 72], &["F4", "Bb4", "C5"]),
            (('D', 0, Mode::Major), &[62, 66, 73], &["D4", "F#4", "C#5"]),
            (
                ('E', -1, Mode::Major),
                &[63, 68, 70],
                &["Eb4", "Ab4", "Bb4"],
            ),
        ]);
    }

    #[test]
    fn minor_keys_raise_the_sixth_and_seventh() {
        check(&[
            (('D', 0, Mode::Minor), &[61, 59, 70], &["C#4", "B3", "Bb4"]),
            (('A', 0, Mode::Minor), &[68, 66], &["G#4", "F#4"]),
        ]);
    }

    #[test]
    fn chromatic_notes_are_spelled_by_degree() {
        // In G the raised fourth is a sharp, the lowered seventh a natural, the minor third a
        // flat; B sharp and C flat keep their octave by letter.
        check(&[
            (('G', 0, Mode::Major), &[61, 65, 70], &["C#4", "F4", "Bb4"]),
            (('D', 0, Mode::Major), &[70, 68], &["Bb4", "G#4"]),
            (('A', 0, Mode::Minor), &[61, 70], &["C#4", "Bb4"]),
            (('B', -1, Mode::Major), &[66, 71], &["Gb4", "B4"]),
            (('C', 1, Mode::Major), &[60], &["B#3"]),
        ]);
    }
}
