//! Calibrating the decision to end a tune by the degree of its last pitch.
//!
//! Read teacher-forced over held-out songs, a network foresees more ends than come (its
//! terminator probabilities, summed over every step, exceed the songs' one end each), and far
//! more after the degrees that close phrases inside a song (the second, the fifth) than after
//! the tonic. Written freely, its tunes then stop on those degrees more often than songs do.
//! An [`EndCalibration`] holds a factor for the terminator's probability for each degree of the
//! last pitch (with or without a rest sounding after it). [`super::fit_calibration`] fits it in
//! two stages: on the validation songs, (ends that came + 1) / (ends foreseen + 1) per class
//! ([`EndCalibration::fit`]); then rounds of written tunes move each factor until the tunes end
//! in each class as often as the songs the model learnt from. It is part of the model file; a
//! model without one writes as before.

use serde::{Deserialize, Serialize};

use super::decoder::log_softmax;
use super::{Decoder, Network, Writing, Written};
use crate::data::condition::{ENDINGS, Input, class_mode};
use crate::data::{Contour, INPUTS_PER_STEP, SongSeq};
use crate::encoding::vocab::END_ID;
use crate::song::Mode;

/// A log-factor for the terminator's probability by where the melody stands: the degree of its
/// last pitch, with or without a rest after it ([`Contour::ending`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndCalibration {
    /// Added to the terminator's logit, by class ([`Contour::ending`]).
    pub log_factor: Vec<f32>,
}

impl EndCalibration {
    /// Adds the factor of class `class` to the terminator's logit in `logits`.
    pub fn apply(&self, logits: &mut [f32], class: usize) {
        if let (Some(factor), Some(end)) =
            (self.log_factor.get(class), logits.get_mut(END_ID as usize))
        {
            *end += factor;
        }
    }

    /// The calibration that makes the ends foreseen in `tally` match the ends that came, by
    /// degree (one more of each, so that a class seen rarely keeps a factor near 1).
    pub fn fit(tally: &EndTally) -> Self {
        Self {
            log_factor: tally
                .came
                .iter()
                .zip(&tally.foreseen)
                .map(|(&came, &foreseen)| ((came + 1.0) / (foreseen + 1.0)).ln() as f32)
                .collect(),
        }
    }
}

/// Ends foreseen and ends that came over some songs, by class, and their NLL.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EndTally {
    /// Terminator probabilities summed over every step, by the class of the step.
    pub foreseen: Vec<f64>,
    /// Songs that ended in each class.
    pub came: Vec<f64>,
    /// Nats of every target (each token and the terminator) summed.
    pub nats: f64,
    /// Targets read.
    pub targets: usize,
}

impl EndTally {
    /// Nats per token.
    pub fn nll(&self) -> f64 {
        self.nats / self.targets.max(1) as f64
    }
}

/// Reads `songs` teacher-forced through `network` token by token, as writing would (the
/// model's start context, each step's conditioning inputs), with `writing`'s calibrations of the
/// end and of new pitches applied when `calibrated`, and tallies the ends foreseen and come by
/// class and the NLL.
pub async fn tally_ends<'s, N: Network>(
    network: &N,
    writing: Writing<'_>,
    songs: impl IntoIterator<Item = &'s SongSeq>,
    calibrated: bool,
) -> Result<EndTally, String> {
    let mut tally = EndTally {
        foreseen: vec![0.0; ENDINGS],
        came: vec![0.0; ENDINGS],
        ..EndTally::default()
    };
    let start = writing.start_tokens;
    let context = vec![END_ID; start];
    let mode_slot = mode_slot(writing);
    for song in songs {
        let step_inputs = |s: usize| {
            song.inputs
                .get(s * INPUTS_PER_STEP..(s + 1) * INPUTS_PER_STEP)
                .unwrap_or(&[])
        };
        // A model without conditioning reads every song as major.
        let mode = class_mode(step_inputs(0).get(mode_slot).copied().unwrap_or(0));
        let mut decoder = if song.inputs.is_empty() {
            network.decoder(&context, &[])
        } else {
            network.decoder(&context[start - 1..], step_inputs(0))
        };
        let mut contour = Contour::default();
        let mut logits = decoder.next_logits(None).await?;
        for s in 0..=song.ids.len() {
            let class = contour.ending(mode);
            if calibrated {
                if let Some(ends) = writing.ends {
                    ends.apply(&mut logits, class);
                }
                if let Some(new_pitches) = writing.new_pitches {
                    new_pitches.apply(&mut logits, writing.vocab, &contour);
                }
            }
            let log_probs = log_softmax(&logits);
            let target = song.ids.get(s).copied().unwrap_or(END_ID);
            tally.nats -= f64::from(
                log_probs
                    .get(target as usize)
                    .copied()
                    .unwrap_or(f32::NEG_INFINITY),
            );
            tally.targets += 1;
            tally.foreseen[class] += f64::from(log_probs[END_ID as usize].exp());
            let Some(&id) = song.ids.get(s) else {
                tally.came[class] += 1.0;
                break;
            };
            contour.take(writing.vocab, id);
            logits = decoder.next_logits(Some((id, step_inputs(s + 1)))).await?;
        }
    }
    Ok(tally)
}

/// Where a model's step inputs hold the mode (past the end for a model without it).
fn mode_slot(writing: Writing<'_>) -> usize {
    writing
        .conditioning
        .and_then(|c| c.slot(Input::Mode))
        .unwrap_or(usize::MAX)
}

/// The ending class of a song read as `writing`'s model reads it.
pub(super) fn song_ending(writing: Writing<'_>, song: &SongSeq) -> usize {
    let mode = class_mode(song.inputs.get(mode_slot(writing)).copied().unwrap_or(0));
    let mut contour = Contour::default();
    for &id in &song.ids {
        contour.take(writing.vocab, id);
    }
    contour.ending(mode)
}

/// The ending class of a written tune.
pub(super) fn tune_ending(tune: &Written) -> usize {
    let mut contour = Contour::default();
    for &token in &tune.tokens {
        contour.push(token);
    }
    contour.ending(tune.mode.unwrap_or(Mode::Major))
}

/// The share of each ending class among `classes`.
pub(super) fn shares(classes: impl IntoIterator<Item = usize>) -> Vec<f64> {
    let mut out = [0.0; ENDINGS];
    let mut n = 0usize;
    for class in classes {
        out[class] += 1.0;
        n += 1;
    }
    out.iter().map(|count| count / n.max(1) as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::grid::Token;

    #[test]
    fn the_fit_makes_foreseen_ends_match_those_that_came() {
        let mut tally = EndTally {
            foreseen: vec![0.0; ENDINGS],
            came: vec![0.0; ENDINGS],
            ..EndTally::default()
        };
        tally.foreseen[0] = 1.0;
        tally.came[0] = 3.0;
        tally.foreseen[7] = 9.0;
        tally.came[7] = 4.0;
        let fit = EndCalibration::fit(&tally);
        assert!((fit.log_factor[0] - 2f32.ln()).abs() < 1e-6, "(3+1)/(1+1)");
        assert!(
            (fit.log_factor[7] - 0.5f32.ln()).abs() < 1e-6,
            "(4+1)/(9+1)"
        );
        assert_eq!(
            fit.log_factor[3], 0.0,
            "a class never seen keeps its factor of 1"
        );
        let mut logits = vec![0.5, 1.0, 2.0];
        fit.apply(&mut logits, 7);
        assert!((logits[END_ID as usize] - (0.5 + 0.5f32.ln())).abs() < 1e-6);
        assert_eq!(&logits[1..], &[1.0, 2.0], "only the terminator moves");
    }

    #[test]
    fn the_ending_class_is_the_last_pitch_degree_and_whether_a_rest_follows() {
        let mut contour = Contour::default();
        assert_eq!(contour.ending(Mode::Major), ENDINGS - 1, "no note yet");
        contour.push(Token::Note(67));
        assert_eq!(contour.ending(Mode::Major), 7, "G is the fifth of C major");
        assert_eq!(
            contour.ending(Mode::Minor),
            10,
            "and the seventh of A minor"
        );
        contour.push(Token::Hold);
        assert_eq!(contour.ending(Mode::Major), 7, "held");
        contour.push(Token::Rest);
        assert_eq!(
            contour.ending(Mode::Major),
            12 + 7,
            "a rest after the fifth"
        );
        contour.push(Token::Note(69));
        assert_eq!(contour.ending(Mode::Minor), 0, "A is the tonic of A minor");
    }
}
