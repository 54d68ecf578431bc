//! What the comparison panel draws: a set's distributions of tune length, pitch classes and
//! last notes (as degrees above the tonic), melodic intervals and note lengths, each summed
//! over the set and normalised to 1.

use serde::{Deserialize, Serialize};

use super::Melody;
use super::features::{LENGTH_BINS, events, length_class, normalised};

/// Grid steps per bin of the length histogram (two bars of 4/4 on the 1/16 grid).
pub const LENGTH_BIN_STEPS: usize = 32;
/// Bins of the length histogram; the last one holds every longer melody.
pub const LENGTH_BINS_SHOWN: usize = 16;
/// Intervals from −`INTERVAL_REACH` to +`INTERVAL_REACH` semitones have a bin each; wider
/// leaps count in the outermost bins.
pub const INTERVAL_REACH: i32 = 12;

/// One set's distributions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Melodies counted.
    pub melodies: usize,
    /// Lengths in bins of [`LENGTH_BIN_STEPS`] steps.
    pub lengths: Vec<f64>,
    /// Note onsets by degree above the tonic (12 semitone classes).
    pub pitch_classes: Vec<f64>,
    /// Intervals between consecutive notes, rests skipped, −12..=+12 semitones.
    pub intervals: Vec<f64>,
    /// Note lengths by class ([`super::features::LENGTH_CLASSES`], then "other").
    pub note_lengths: Vec<f64>,
    /// Last notes by degree above the tonic.
    pub last_notes: Vec<f64>,
}

impl Profile {
    /// The distributions of `set` (all zeros when it is empty).
    pub fn of(set: &[Melody]) -> Profile {
        let mut lengths = vec![0.0; LENGTH_BINS_SHOWN];
        let mut pitch_classes = vec![0.0; 12];
        let mut intervals = vec![0.0; 2 * INTERVAL_REACH as usize + 1];
        let mut note_lengths = vec![0.0; LENGTH_BINS];
        let mut last_notes = vec![0.0; 12];
        for m in set {
            lengths[(m.tokens.len() / LENGTH_BIN_STEPS).min(LENGTH_BINS_SHOWN - 1)] += 1.0;
            let notes: Vec<(u8, usize)> = events(&m.tokens)
                .into_iter()
                .filter_map(|e| e.note())
                .collect();
            let degree = |pitch: u8| usize::from((pitch + 12 - m.tonic_pc % 12) % 12);
            for &(pitch, steps) in &notes {
                pitch_classes[degree(pitch)] += 1.0;
                note_lengths[length_class(steps)] += 1.0;
            }
            for pair in notes.windows(2) {
                let leap = (i32::from(pair[1].0) - i32::from(pair[0].0))
                    .clamp(-INTERVAL_REACH, INTERVAL_REACH);
                intervals[(leap + INTERVAL_REACH) as usize] += 1.0;
            }
            if let Some(&(pitch, _)) = notes.last() {
                last_notes[degree(pitch)] += 1.0;
            }
        }
        Profile {
            melodies: set.len(),
            lengths: normalised(lengths),
            pitch_classes: normalised(pitch_classes),
            intervals: normalised(intervals),
            note_lengths: normalised(note_lengths),
            last_notes: normalised(last_notes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::grid::Token;

    #[test]
    fn distributions_of_a_small_set() {
        // In A minor (tonic 9): A (4 steps), C (2), B (2); then E (4) alone.
        let a = Melody {
            tokens: vec![
                Token::Note(69),
                Token::Hold,
                Token::Hold,
                Token::Hold,
                Token::Note(72),
                Token::Hold,
                Token::Note(71),
                Token::Hold,
            ],
            bar_steps: 8,
            pickup_steps: 0,
            tonic_pc: 9,
        };
        let b = Melody {
            tokens: vec![Token::Note(64), Token::Hold, Token::Hold, Token::Hold],
            bar_steps: 8,
            pickup_steps: 0,
            tonic_pc: 9,
        };
        let p = Profile::of(&[a, b]);
        assert_eq!(p.melodies, 2);
        assert_eq!(p.lengths[0], 1.0);
        // Degrees: A = 0, C = 3, B = 2, E = 7.
        assert_eq!(
            [
                p.pitch_classes[0],
                p.pitch_classes[3],
                p.pitch_classes[2],
                p.pitch_classes[7]
            ],
            [0.25; 4]
        );
        // Intervals: +3, −1.
        assert_eq!(p.intervals[12 + 3], 0.5);
        assert_eq!(p.intervals[12 - 1], 0.5);
        // Lengths 4, 2, 2, 4 steps: classes of 4 and 2 half each.
        assert_eq!(p.note_lengths.iter().filter(|&&x| x == 0.5).count(), 2);
        // Last notes: B (2) and E (7).
        assert_eq!(p.last_notes[2], 0.5);
        assert_eq!(p.last_notes[7], 0.5);
        assert_eq!(Profile::of(&[]).lengths, vec![0.0; LENGTH_BINS_SHOWN]);
    }
}
