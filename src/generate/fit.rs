//! Fitting a trained model's calibrations of writing: where its tunes end
//! ([`EndCalibration`]) and how often they take up a new pitch ([`NewPitchCalibration`]).
//!
//! The end's calibration starts from the validation songs read teacher-forced. Then rounds of
//! written tunes (the default settings, meter and mode drawn) refine both at once,
//! since each changes the tunes the other is fitted on: each round moves every factor by how
//! far the tunes are from the training and validation songs in its class, and the result
//! averages the later half of the rounds. The prior of forms ([`FormPrior`]) is counted from
//! the training and validation songs first, so that the rounds write with it. The test songs
//! play no part.

use serde::{Deserialize, Serialize};

use super::ends::{shares, song_ending, tune_ending};
use super::forms::song_bars;
use super::{
    EndCalibration, FormPrior, GenerateConfig, Network, NewPitchCalibration, NewPitchTally,
    Writing, tally_ends, write_set,
};
use crate::data::condition::Input;
use crate::data::{SongSeq, SongSplit};
use crate::recipe::{CALIBRATION_SEED, CalibrationRounds};

/// What [`fit_calibration`] found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFit {
    /// The end's calibration.
    pub ends: EndCalibration,
    /// The calibration of new pitches (none without rounds of tunes).
    pub new_pitches: Option<NewPitchCalibration>,
    /// The songs' share of each ending class.
    pub song_endings: Vec<f64>,
    /// The tunes' share of each ending class, by round (each round's tunes written with the
    /// calibrations before its update).
    pub tune_endings: Vec<Vec<f64>>,
    /// The songs' mean count of distinct pitches.
    pub song_pitches: f64,
    /// The tunes' mean count of distinct pitches, by round.
    pub tune_pitches: Vec<f64>,
    /// The prior of forms (none for a model without the bar clock).
    pub forms: Option<FormPrior>,
}

/// Fits the calibrations of writing for `network` on the songs `set` split as `parts`: the
/// end's on the ends foreseen and come in the teacher-forced validation songs, then both
/// refined by the rounds of tunes `calibration_rounds` asks for, so that tunes end, and take up new
/// pitches, as the songs the model learnt from and was validated on do.
pub async fn fit_calibration<N: Network>(
    network: &N,
    writing: Writing<'_>,
    set: &[SongSeq],
    parts: &SongSplit,
    calibration_rounds: CalibrationRounds,
) -> Result<CalibrationFit, String> {
    let valid = parts.valid.iter().map(|&i| &set[i]);
    let start = EndCalibration::fit(&tally_ends(network, writing, valid, false).await?);
    let known: Vec<&SongSeq> = parts
        .train
        .iter()
        .chain(&parts.valid)
        .map(|&i| &set[i])
        .collect();
    let forms = forms(writing, &known);
    let writing = Writing {
        forms: forms.as_ref(),
        ..writing
    };
    let fit = refine(network, writing, &known, start, calibration_rounds).await?;
    Ok(CalibrationFit { forms, ..fit })
}

/// The prior of forms of `songs`, for a model told the position in the bar.
fn forms(writing: Writing<'_>, songs: &[&SongSeq]) -> Option<FormPrior> {
    let slot = writing.conditioning?.slot(Input::Position)?;
    Some(FormPrior::fit(
        songs.iter().map(|song| song_bars(song, slot)),
    ))
}

/// Refines the end's calibration `start`, and a calibration of new pitches from factors of 1,
/// over the rounds of `calibration_rounds` (tunes written with the default settings, seeds counting up from
/// [`CALIBRATION_SEED`]) so that the tunes `network` writes match `songs`:
/// - each ending class's factor is multiplied by the songs' share over the tunes' (each plus
///   one tune's share, so that a class neither uses stays put);
/// - each class of new pitch's factor by the songs' rate over the tunes' (a class neither
///   reached stays put).
///
/// The result is the mean of the log-factors of the later half of the rounds, which smooths
/// the rounds' sampling noise.
async fn refine<N: Network>(
    network: &N,
    writing: Writing<'_>,
    songs: &[&SongSeq],
    start: EndCalibration,
    calibration_rounds: CalibrationRounds,
) -> Result<CalibrationFit, String> {
    let CalibrationRounds { rounds, tunes } = calibration_rounds;
    let song_endings = shares(songs.iter().map(|song| song_ending(writing, song)));
    let mut song_pitches = NewPitchTally::default();
    for song in songs {
        song_pitches.add(song.ids.iter().filter_map(|&id| writing.vocab.token(id)));
    }
    let wanted_rates = song_pitches.rates();
    let floor = 1.0 / tunes.max(1) as f64;
    let mut ends = start;
    let mut new_pitches = NewPitchCalibration::default();
    let mut later_ends = vec![0.0f32; ends.log_factor.len()];
    let mut later_new = vec![0.0f32; new_pitches.log_factor.len()];
    let averaged = (rounds - rounds / 2) as f32;
    let (mut tune_endings, mut tune_pitches) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let written_with = Writing {
            ends: Some(&ends),
            new_pitches: Some(&new_pitches),
            ..writing
        };
        let config = GenerateConfig::seeded(CALIBRATION_SEED.wrapping_add(round as u64 * tunes));
        let written = write_set(network, written_with, &config, tunes, |_| {}).await?;
        let got = shares(written.iter().map(tune_ending));
        for (factor, (want, got)) in ends
            .log_factor
            .iter_mut()
            .zip(song_endings.iter().zip(&got))
        {
            *factor += ((want + floor) / (got + floor)).ln() as f32;
        }
        tune_endings.push(got);
        let mut tally = NewPitchTally::default();
        for tune in &written {
            tally.add(tune.tokens.iter().copied());
        }
        tune_pitches.push(tally.pitches_per_melody());
        let got_rates = tally.rates();
        for (class, factor) in new_pitches.log_factor.iter_mut().enumerate() {
            if song_pitches.new[class] + tally.new[class] > 0.0 {
                *factor += (wanted_rates[class] / got_rates[class]).ln() as f32;
            }
        }
        if round >= rounds / 2 {
            for (sum, factor) in later_ends.iter_mut().zip(&ends.log_factor) {
                *sum += factor / averaged;
            }
            for (sum, factor) in later_new.iter_mut().zip(&new_pitches.log_factor) {
                *sum += factor / averaged;
            }
        }
    }
    if rounds > 0 {
        ends.log_factor = later_ends;
        new_pitches.log_factor = later_new;
    }
    Ok(CalibrationFit {
        ends,
        new_pitches: (rounds > 0).then_some(new_pitches),
        song_endings,
        tune_endings,
        song_pitches: song_pitches.pitches_per_melody(),
        tune_pitches,
        forms: None,
    })
}
