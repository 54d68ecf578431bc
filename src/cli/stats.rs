//! `melodeon stats`: tunes written by a model against the held-out songs of its split, as
//! MGEval compares them (per-feature overlap and KL divergence with their ceilings), with tonic
//! endings, whole bars, tunes that end by themselves, and near copies of training songs.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use super::writing::WritingArgs;
use super::{load_ensemble, read_corpus_for};
use crate::data::split_songs;
use crate::generate::{Ensemble, OnDevice, write_set};
use crate::model_file;
use crate::settings::METER;
use crate::stats::{CopyIndex, Melody, REFERENCE_DIGITS, REFERENCE_SONGS, Reference, compare_with};

/// Options of `melodeon stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    /// The model file; several (`--model a.mdl --model b.mdl`) write as an ensemble (each
    /// token drawn from the mean of their distributions; they must share vocabulary, encoding,
    /// conditioning and context, and the first one's split and header are used).
    #[arg(long, required = true)]
    model: Vec<PathBuf>,
    /// The corpus it was trained on (files, folders, zips): its held-out songs are the
    /// reference, its training songs are searched for near copies.
    #[arg(long, required = true, num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// Tunes to write.
    #[arg(long, default_value_t = 500)]
    count: u64,
    /// Held-out songs to compare with at most (test songs first, then validation songs).
    #[arg(long, default_value_t = 500)]
    reference: usize,
    /// How to write them (the first seed also seeds the statistics).
    #[command(flatten)]
    writing: WritingArgs,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Also write the model file again to this path, with the held-out songs' statistics in
    /// its header (for models saved before files carried them; the page compares with them).
    #[arg(long)]
    reference_into: Option<PathBuf>,
    /// Also write the index of the training songs (hashes of their runs of bars, and names:
    /// no notes) to this path as JSON, for the page's near copies of a shipped model.
    #[arg(long)]
    copies_into: Option<PathBuf>,
}

/// Runs `melodeon stats`.
pub fn run(args: &StatsArgs) -> anyhow::Result<()> {
    let (header, models, device) = load_ensemble(&args.model)?;
    if models.len() > 1 && args.reference_into.is_some() {
        bail!("--reference-into writes one model file: give one --model");
    }
    let network = Ensemble(
        models
            .iter()
            .map(|model| OnDevice::new(model, &header.config, &device))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::msg)?,
    );
    let step = header.grid.step;
    let corpus = read_corpus_for(&header, &args.corpus)?;
    let parts = split_songs(&corpus.openings(), &header.training.split);
    let melody = |i: &usize| {
        let song = &corpus.songs[*i];
        Melody::from_song(&song.song, &song.tokens, step)
    };
    let reference: Vec<Melody> = parts
        .test
        .iter()
        .chain(&parts.valid)
        .take(args.reference)
        .map(melody)
        .collect();
    let copies = CopyIndex::of_songs(parts.train.iter().map(|&i| &corpus.songs[i]), step);
    if reference.len() < 2 {
        bail!("the corpus has fewer than two held-out songs for this model's split");
    }
    let fallback = args.writing.meter.unwrap_or(METER);
    let config = args.writing.config(args.writing.seed);
    let tunes = pollster::block_on(write_set(
        &network,
        header.writing(),
        &config,
        args.count,
        |_| {},
    ))
    .map_err(anyhow::Error::msg)?;
    let ended = tunes
        .iter()
        .filter(|t| t.tokens.len() < config.max_len)
        .count();
    let generated: Vec<Melody> = tunes
        .iter()
        .map(|t| Melody::from_written(t, fallback, step))
        .collect();
    if let Some(out) = &args.copies_into {
        let json = serde_json::to_vec(&copies)?;
        std::fs::write(out, json).with_context(|| format!("{}: could not write", out.display()))?;
    }
    if let Some(out) = &args.reference_into {
        let mut header = header.clone();
        let kept = &reference[..reference.len().min(REFERENCE_SONGS)];
        header.training.reference = Some(Reference::new(kept, Some(REFERENCE_DIGITS)));
        let bytes = model_file::save(&header, &models[0])?;
        std::fs::write(out, bytes)
            .with_context(|| format!("{}: could not write", out.display()))?;
    }
    let report = compare_with(
        &generated,
        &Reference::new(&reference, None),
        &copies,
        args.writing.seed,
    );
    let ended_share = ended as f64 / generated.len().max(1) as f64;
    if args.json {
        outln!(
            "{}",
            serde_json::json!({ "report": report, "ended_by_themselves": ended_share })
        )?;
        return Ok(());
    }
    outln!(
        "{} tunes against {} held-out songs ({} training songs searched for copies)",
        generated.len(),
        reference.len(),
        copies.runs.len()
    )?;
    outln!(
        "{:<26} {:>8} {:>8} {:>9} {:>8}",
        "feature",
        "overlap",
        "ceiling",
        "KL",
        "ceil KL"
    )?;
    for f in &report.features {
        outln!(
            "{:<26} {:>8.3} {:>8.3} {:>9.4} {:>8.4}",
            f.name,
            f.overlap,
            f.ceiling_overlap,
            f.kl,
            f.ceiling_kl
        )?;
    }
    let (g, r) = (&report.generated, &report.reference);
    outln!(
        "tonic endings {:.1} % (held-out {:.1} %) · whole bars {:.1} % (held-out {:.1} %) · bars repeating an earlier bar {:.1} % (held-out {:.1} %) · median length {} (held-out {}) · ended by themselves within {} steps {:.1} %",
        100.0 * g.tonic_endings,
        100.0 * r.tonic_endings,
        100.0 * g.whole_bars,
        100.0 * r.whole_bars,
        100.0 * g.repeated_bars.unwrap_or(0.0),
        100.0 * r.repeated_bars.unwrap_or(0.0),
        g.median_length,
        r.median_length,
        config.max_len,
        100.0 * ended_share
    )?;
    outln!(
        "near copies (3+ bars of a training song): {:.1} % of tunes, longest {} bars",
        100.0 * report.copies.near_copies,
        report.copies.longest_copy_bars
    )?;
    for copy in &report.copies.copies {
        outln!(
            "  seed {}: {} bars of {}",
            args.writing.seed + copy.generated as u64,
            copy.bars,
            copies.name(copy.training)
        )?;
    }
    Ok(())
}
