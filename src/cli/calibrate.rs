//! `melodeon calibrate`: fits a model's calibrations of writing ([`fit_calibration`]): the end's
//! on the validation songs of its split (teacher-forced), the prior of forms counted from the
//! training and validation songs, then, with rounds of tunes written with that form, the end's
//! and the one of new pitches until tunes end, and take up new pitches, as the training and
//! validation songs do. Reports what they change on the test songs and writes the model file
//! again with them.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::{load_model, read_corpus_for, song_set};
use crate::data::split_songs;
use crate::generate::{EndTally, OnDevice, fit_calibration, tally_ends};
use crate::model_file::{self, ModelHeader};
use crate::recipe::{CALIBRATION_ROUNDS, CalibrationRounds};

/// Options of `melodeon calibrate`.
#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// The model file.
    #[arg(long)]
    model: PathBuf,
    /// The corpus it was trained on (files, folders, zips): the calibration is fitted on its
    /// validation songs and measured on its test songs.
    #[arg(long, required = true, num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// Where to write the calibrated model file.
    #[arg(long)]
    out: PathBuf,
    /// Rounds of tunes that refine the end's fit and fit the one of new pitches (0: the end's
    /// fit to the validation songs' teacher-forced ends alone, and no calibration of new
    /// pitches).
    #[arg(long, default_value_t = CALIBRATION_ROUNDS.rounds)]
    rounds: usize,
    /// Tunes written per round.
    #[arg(long, default_value_t = CALIBRATION_ROUNDS.tunes)]
    tunes: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `melodeon calibrate`.
pub fn run(args: &CalibrateArgs) -> anyhow::Result<()> {
    let (mut header, model, device) = load_model(&args.model)?;
    if header.config.conditioning.is_none() {
        anyhow::bail!(
            "{}: the model has no conditioning, so its tunes have no mode to calibrate the end by",
            args.model.display()
        );
    }
    let network = OnDevice::new(&model, &header.config, &device).map_err(anyhow::Error::msg)?;
    let corpus = read_corpus_for(&header, &args.corpus)?;
    let (set, openings) = song_set(&header, &corpus)?;
    let parts = split_songs(&openings, &header.training.split);
    if parts.valid.is_empty() || parts.test.is_empty() {
        anyhow::bail!("the corpus has no validation or no test songs for this model's split");
    }
    let fit = pollster::block_on(fit_calibration(
        &network,
        header.writing(),
        &set,
        &parts,
        CalibrationRounds {
            rounds: args.rounds,
            tunes: args.tunes,
        },
    ))
    .map_err(anyhow::Error::msg)?;
    let on_test = |header: &ModelHeader, calibrated: bool| -> anyhow::Result<EndTally> {
        let test = parts.test.iter().map(|&i| &set[i]);
        pollster::block_on(tally_ends(&network, header.writing(), test, calibrated))
            .map_err(anyhow::Error::msg)
    };
    let before = on_test(&header, false)?;
    header.ends = Some(fit.ends.clone());
    header.new_pitches = fit.new_pitches.clone();
    header.forms = fit.forms.clone();
    let after = on_test(&header, true)?;
    let bytes = model_file::save(&header, &model)?;
    std::fs::write(&args.out, bytes)
        .with_context(|| format!("{}: could not write", args.out.display()))?;
    if args.json {
        outln!(
            "{}",
            serde_json::json!({ "fit": fit, "test_before": before, "test_after": after })
        )?;
        return Ok(());
    }
    outln!(
        "fitted on {} validation songs; {} test songs:",
        parts.valid.len(),
        parts.test.len()
    )?;
    let tonic = |shares: &[f64]| 100.0 * (shares[0] + shares[12]);
    outln!(
        "training and validation songs ending on the tonic: {:.1} %; tunes, round by round: {}",
        tonic(&fit.song_endings),
        fit.tune_endings
            .iter()
            .map(|r| format!("{:.1} %", tonic(r)))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    outln!(
        "distinct pitches per song: {:.2}; per tune, round by round: {}",
        fit.song_pitches,
        fit.tune_pitches
            .iter()
            .map(|p| format!("{p:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    outln!("last pitch     factor  test ends came  foreseen before  after")?;
    for (class, factor) in fit.ends.log_factor.iter().enumerate() {
        let stands = match class {
            24 => "no note yet".to_string(),
            12.. => format!("degree {}, rest", class - 12),
            _ => format!("degree {class}"),
        };
        outln!(
            "{stands:<13}  {:>6.3}  {:>14}  {:>15.1}  {:>5.1}",
            factor.exp(),
            before.came[class],
            before.foreseen[class],
            after.foreseen[class]
        )?;
    }
    outln!(
        "test NLL {:.4} → {:.4} nats/token ({} targets); written to {}",
        before.nll(),
        after.nll(),
        before.targets,
        args.out.display()
    )?;
    Ok(())
}
