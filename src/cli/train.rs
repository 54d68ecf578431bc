//! `melodeon train`: train a model on a corpus and write a model file.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::eval::print_metrics;
use super::{load_model, read_corpus};
use crate::backend;
use crate::recipe::{CALIBRATION_ROUNDS, TrainOverrides};
use crate::train::{Job, JobSpec};

/// Options of `melodeon train`. Every setting left out takes the recipe's default
/// ([`TrainOverrides::resolve`]).
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Corpus files, folders and zips.
    #[arg(long, required = true, num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// Name of the corpus, stored in the model file (default: the paths).
    #[arg(long)]
    corpus_name: Option<String>,
    /// Name of the model.
    #[arg(long, default_value = "Melodeon model")]
    name: String,
    /// The recipe and its overrides.
    #[command(flatten)]
    run: TrainOverrides,
    /// Also measure the test songs whenever the validation songs are measured (for curves of
    /// test NLL against training time).
    #[arg(long)]
    track_test: bool,
    /// Print one JSON line per epoch and a JSON summary.
    #[arg(long)]
    json: bool,
    /// Continue from this model file (fine-tuning) instead of a fresh network; songs with a
    /// token outside its vocabulary are skipped (and listed).
    #[arg(long)]
    init: Option<PathBuf>,
    /// Where to write the model file.
    #[arg(long)]
    out: PathBuf,
}

/// Runs `melodeon train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let (_, device) = backend::native();
    let corpus = read_corpus(&args.corpus, Default::default())?;
    let resolved = args.run.resolve().map_err(anyhow::Error::msg)?;
    let spec = JobSpec {
        name: args.name.clone(),
        corpus_name: args.corpus_name.clone().unwrap_or_else(|| {
            let paths: Vec<String> = args
                .corpus
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            paths.join(", ")
        }),
        shape: resolved.shape,
        train: resolved.train,
        split: resolved.split,
        grid: Default::default(),
    };
    let base = match &args.init {
        None => None,
        Some(path) => {
            let (header, model, _) = load_model(path)?;
            Some((header, model))
        }
    };
    let epochs = spec.train.epochs;
    let mut job = Job::new(&corpus, spec, base, &device).map_err(anyhow::Error::msg)?;
    for skipped in job.skipped() {
        eprintln!("skipped {}: {}", skipped.song, skipped.reason);
    }
    let sizes = job.sizes();
    eprintln!(
        "recipe {}: {} songs ({} training, {} validation, {} test); {} training {} per epoch; {} parameters",
        args.run.recipe,
        sizes.songs,
        sizes.train_songs,
        sizes.valid_songs,
        sizes.test_songs,
        sizes.train_units,
        sizes.unit,
        sizes.params
    );
    let bar = ProgressBar::new((sizes.steps_per_epoch * epochs) as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps · {msg}")
            .context("progress style")?,
    );
    while !job.is_finished() {
        let progress = pollster::block_on(job.step()).map_err(anyhow::Error::msg)?;
        bar.inc(1);
        bar.set_message(format!(
            "epoch {}/{} · loss {:.3} · {:.0} {}/s · ETA {:.0} s",
            progress.epoch,
            progress.epochs,
            progress.train_loss,
            progress.rate,
            progress.rate_unit,
            progress.eta_s
        ));
        if let Some(valid) = progress.valid {
            let test = if args.track_test {
                Some(pollster::block_on(job.test_current()).map_err(anyhow::Error::msg)?)
            } else {
                None
            };
            let line = serde_json::json!({
                "epoch": progress.epoch, "step": progress.step, "train_loss": progress.train_loss,
                "valid": valid, "test_songs": test, "seconds": job.training_seconds(),
            });
            if args.json {
                outln!("{line}")?;
            } else {
                bar.println(format!(
                    "epoch {} step {}: validation NLL {:.4} (onset {:.3} bits), accuracy {:.3}",
                    progress.epoch,
                    progress.step,
                    valid.nll,
                    valid.onset_bits(),
                    valid.accuracy
                ));
            }
        }
    }
    bar.finish_and_clear();
    let (bytes, songs, windows) =
        pollster::block_on(job.finish(CALIBRATION_ROUNDS)).map_err(anyhow::Error::msg)?;
    std::fs::write(&args.out, bytes).with_context(|| format!("writing {}", args.out.display()))?;
    if args.json {
        outln!(
            "{}",
            serde_json::json!({
                "test_songs": songs, "test_windows": windows,
                "training_seconds": job.training_seconds(), "out": args.out,
            })
        )?;
    } else {
        print_metrics(&songs, windows.as_ref())?;
        outln!(
            "trained in {:.0} s; wrote {}",
            job.training_seconds(),
            args.out.display()
        )?;
    }
    Ok(())
}
