//! Calibrating how often a tune takes up a pitch it has not used yet.
//!
//! Written freely, a network's tunes use more distinct pitches and span a wider range than the
//! songs it learnt from: each step's small surplus of probability on a pitch not heard yet
//! adds up over a tune. A [`NewPitchCalibration`] holds a factor for the probability of such a
//! pitch by its class ([`class`]): inside the range so far, by how many distinct pitches the
//! tune has used; outside it, by the range's width and how far beyond it the pitch lies. It moves probability between pitches only: the notes'
//! share against holds, rests and the end stays as the network gave it. It is fitted beside the
//! end's calibration, in the same rounds of written tunes ([`super::fit_calibration`]), so that tunes
//! take up new pitches as often as the training and validation songs do.

use serde::{Deserialize, Serialize};

use crate::data::Contour;
use crate::encoding::grid::Token;
use crate::encoding::vocab::Vocab;

/// Counts of distinct pitches told apart for a new pitch inside the range (more count as the
/// last).
const USED: usize = 13;
/// Range widths in semitones told apart for a pitch outside the range (wider count as the last).
const WIDTHS: usize = 21;
/// The first distance (semitones beyond the range) of each distance class after the first:
/// 1–2, 3–4, 5–7, 8 and more.
const BEYOND: [u8; 3] = [3, 5, 8];
/// Distance classes.
const DISTANCES: usize = BEYOND.len() + 1;
/// Classes of a new pitch ([`class`]).
pub const CLASSES: usize = USED + WIDTHS * DISTANCES;
/// The onset counts a class's rate is taken over: by distinct pitches, then by width.
const DENOMINATORS: usize = USED + WIDTHS;

/// The class of `pitch` after the melody `contour`, if it would be a new pitch there and a
/// range exists: inside the range, the distinct pitches so far (0–12); outside it, by the
/// range's width (0–20) and the distance beyond it.
pub fn class(contour: &Contour, pitch: u8) -> Option<usize> {
    let (low, high) = contour.range()?;
    if contour.has_used(pitch) {
        return None;
    }
    let beyond = low.saturating_sub(pitch).max(pitch.saturating_sub(high));
    if beyond == 0 {
        return Some(contour.distinct().min(USED - 1));
    }
    let width = usize::from(high - low).min(WIDTHS - 1);
    let distance = BEYOND.iter().filter(|&&b| beyond >= b).count();
    Some(USED + width * DISTANCES + distance)
}

/// The onset count a class's rate is taken over.
fn denominator(class: usize) -> usize {
    if class < USED {
        class
    } else {
        USED + (class - USED) / DISTANCES
    }
}

/// A log-factor for the probability of each pitch the tune has not used yet, by class
/// ([`Contour::new_pitch`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewPitchCalibration {
    /// Added to a new pitch's logit, by class ([`class`]); the notes' logits are then shifted together so
    /// that their summed probability is unchanged.
    pub log_factor: Vec<f32>,
}

impl Default for NewPitchCalibration {
    /// Factors of 1: writes as without it.
    fn default() -> Self {
        Self {
            log_factor: vec![0.0; CLASSES],
        }
    }
}

impl NewPitchCalibration {
    /// Applies the factors to `logits` (ids of `vocab`) after the melody `contour`.
    pub fn apply(&self, logits: &mut [f32], vocab: &Vocab, contour: &Contour) {
        let notes = vocab.tokens().iter().enumerate().take(logits.len());
        let notes = notes.filter_map(|(id, token)| match token {
            Token::Note(pitch) => Some((id, *pitch)),
            _ => None,
        });
        let max = notes
            .clone()
            .map(|(id, _)| logits[id])
            .filter(|logit| logit.is_finite())
            .fold(f32::NEG_INFINITY, f32::max);
        if max == f32::NEG_INFINITY {
            return;
        }
        // The notes' probability mass (relative to the largest) before and after the factors.
        let (mut before, mut after) = (0.0f32, 0.0f32);
        for (id, pitch) in notes.clone() {
            if !logits[id].is_finite() {
                continue;
            }
            let mass = (logits[id] - max).exp();
            before += mass;
            match class(contour, pitch).and_then(|class| self.log_factor.get(class)) {
                Some(&factor) => {
                    logits[id] += factor;
                    after += mass * factor.exp();
                }
                None => after += mass,
            }
        }
        let shift = (before / after).ln();
        if shift.is_finite() && shift != 0.0 {
            for (id, _) in notes {
                logits[id] += shift;
            }
        }
    }
}

/// Note onsets and new pitches over some melodies, by class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewPitchTally {
    /// Note onsets after the first, by the distinct pitches before them, then again by the
    /// range's width before them.
    pub onsets: Vec<f64>,
    /// Onsets of a new pitch by class ([`class`]).
    pub new: Vec<f64>,
    /// Distinct pitches summed over the melodies.
    pub distinct: f64,
    /// Melodies counted.
    pub melodies: usize,
}

impl Default for NewPitchTally {
    fn default() -> Self {
        Self {
            onsets: vec![0.0; DENOMINATORS],
            new: vec![0.0; CLASSES],
            distinct: 0.0,
            melodies: 0,
        }
    }
}

impl NewPitchTally {
    /// Counts the note onsets of one melody.
    pub fn add(&mut self, tokens: impl IntoIterator<Item = Token>) {
        let mut contour = Contour::default();
        for token in tokens {
            if let (Token::Note(pitch), Some((low, high))) = (token, contour.range()) {
                self.onsets[contour.distinct().min(USED - 1)] += 1.0;
                self.onsets[USED + usize::from(high - low).min(WIDTHS - 1)] += 1.0;
                if let Some(class) = class(&contour, pitch) {
                    self.new[class] += 1.0;
                }
            }
            contour.push(token);
        }
        self.distinct += contour.distinct() as f64;
        self.melodies += 1;
    }

    /// The chance that a note onset is a new pitch of each class, with half an onset's worth
    /// of smoothing, so that a class one side never reached still gets a finite rate.
    pub fn rates(&self) -> Vec<f64> {
        self.new
            .iter()
            .enumerate()
            .map(|(class, new)| (new + 0.5) / (self.onsets[denominator(class)] + 1.0))
            .collect()
    }

    /// Mean distinct pitches per melody.
    pub fn pitches_per_melody(&self) -> f64 {
        self.distinct / self.melodies.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocab {
        Vocab::from_tokens(vec![
            Token::End,
            Token::Hold,
            Token::Rest,
            Token::Note(60),
            Token::Note(62),
            Token::Note(72),
        ])
        .unwrap()
    }

    fn probs(logits: &[f32]) -> Vec<f32> {
        let total: f32 = logits.iter().map(|l| l.exp()).sum();
        logits.iter().map(|l| l.exp() / total).collect()
    }

    #[test]
    fn classes_tell_inside_from_how_far_outside() {
        let mut contour = Contour::default();
        assert_eq!(
            class(&contour, 60),
            None,
            "the first note has no range to be new to"
        );
        contour.push(Token::Note(60));
        contour.push(Token::Note(67));
        assert_eq!(class(&contour, 60), None, "used");
        assert_eq!(
            class(&contour, 64),
            Some(2),
            "inside 60–67, two pitches before it"
        );
        let outside = |width: usize, distance: usize| Some(USED + width * DISTANCES + distance);
        assert_eq!(class(&contour, 69), outside(7, 0), "2 above a range of 7");
        assert_eq!(class(&contour, 57), outside(7, 1), "3 below");
        assert_eq!(class(&contour, 72), outside(7, 2), "5 above");
        assert_eq!(class(&contour, 48), outside(7, 3), "12 below");
        assert_eq!(denominator(2), 2);
        assert_eq!(denominator(USED + 7 * DISTANCES + 3), USED + 7);
    }

    #[test]
    fn the_factor_moves_probability_between_pitches_only() {
        let vocab = vocab();
        let mut contour = Contour::default();
        contour.push(Token::Note(60));
        contour.push(Token::Note(72));
        let mut calibration = NewPitchCalibration::default();
        calibration.log_factor[2] = 0.5f32.ln();
        let logits = vec![0.1, 0.7, -0.3, 0.2, 0.4, 0.9];
        let mut moved = logits.clone();
        calibration.apply(&mut moved, &vocab, &contour);
        let (before, after) = (probs(&logits), probs(&moved));
        for id in 0..3 {
            assert!(
                (before[id] - after[id]).abs() < 1e-6,
                "token {id} keeps its probability"
            );
        }
        let notes = |p: &[f32]| p[3] + p[4] + p[5];
        assert!((notes(&before) - notes(&after)).abs() < 1e-6);
        let odds = |p: &[f32]| p[4] / p[3];
        assert!(
            (odds(&after) / odds(&before) - 0.5).abs() < 1e-5,
            "62 is new, inside 60–72"
        );
        assert!((after[5] / after[3] - before[5] / before[3]).abs() < 1e-5);
        let mut unchanged = logits.clone();
        NewPitchCalibration::default().apply(&mut unchanged, &vocab, &contour);
        assert_eq!(unchanged, logits, "factors of 1 change nothing");
    }

    #[test]
    fn the_tally_counts_new_pitches_by_class() {
        let mut tally = NewPitchTally::default();
        let song = [60, 62, 60, 61, 67, 55].map(Token::Note);
        tally.add(song.into_iter().chain([Token::Hold, Token::Rest]));
        assert_eq!(
            tally.onsets[..5],
            [0.0, 1.0, 2.0, 1.0, 1.0],
            "by distinct pitches"
        );
        assert_eq!(
            tally.onsets[USED..USED + 8],
            [1.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        );
        let outside = |width: usize, distance: usize| USED + width * DISTANCES + distance;
        assert_eq!(tally.new[outside(0, 0)], 1.0, "62 two above 60");
        assert_eq!(tally.new[2], 1.0, "61 inside 60–62");
        assert_eq!(tally.new[outside(2, 2)], 1.0, "67 five above 60–62");
        assert_eq!(tally.new[outside(7, 2)], 1.0, "55 five below 60–67");
        assert_eq!(
            tally.new.iter().sum::<f64>(),
            4.0,
            "the repeated 60 is not new"
        );
        assert_eq!(tally.pitches_per_melody(), 5.0);
        let rates = tally.rates();
        assert!(
            (rates[2] - 1.5 / 3.0).abs() < 1e-12,
            "one new of 2 onsets at two pitches"
        );
    }
}
