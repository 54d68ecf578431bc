//! `melodeon train`: train a model on a corpus and write a model file.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use super::{load_model, read_corpus};
use crate::backend;
use crate::data::{SplitConfig, SplitMode};
use crate::train::{Job, JobSpec, LossMode, Metrics, Shape, TrainConfig};

/// How to split the corpus (command-line spelling of [`SplitMode`]).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SplitArg {
    /// By song: no test window shares a song with training (Melodeon's default).
    Songs,
    /// By window, as the seed did.
    Windows,
}

/// Loss mode (command-line spelling of [`LossMode`]).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LossArg {
    /// The seed's: the token after each window only.
    Last,
    /// Every position of each window.
    All,
}

/// Options of `melodeon train`.
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
    /// Passes over the training windows.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Hidden units per LSTM layer.
    #[arg(long, default_value_t = 128)]
    hidden: usize,
    /// LSTM layers.
    #[arg(long, default_value_t = 1)]
    layers: usize,
    /// Embedding width (default: the vocabulary size, as the seed).
    #[arg(long)]
    embedding: Option<usize>,
    /// Dropout after each LSTM layer.
    #[arg(long, default_value_t = 0.2)]
    dropout: f64,
    /// Loss on the last token (the seed) or on every position.
    #[arg(long, value_enum, default_value = "last")]
    loss: LossArg,
    /// Train on every N-th window of each song, with a new phase each epoch (for `--loss all`).
    #[arg(long, default_value_t = 1)]
    stride: usize,
    /// With `--loss all`, leave the first N positions of each window out of the loss.
    #[arg(long, default_value_t = 0)]
    warmup: usize,
    /// Split by song or by window.
    #[arg(long, value_enum, default_value = "songs")]
    split: SplitArg,
    /// Windows per step.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Multiply the learning rate by this after every epoch.
    #[arg(long, default_value_t = 1.0)]
    lr_decay: f64,
    /// Clip gradients to this global norm.
    #[arg(long)]
    clip: Option<f32>,
    /// Also validate every N steps.
    #[arg(long)]
    eval_every: Option<usize>,
    /// Seed of initialisation, dropout, shuffling and the split.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Also measure the test split whenever the validation split is measured (for curves of
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
        shape: Shape {
            hidden: args.hidden,
            layers: args.layers,
            embedding: args.embedding,
            dropout: args.dropout,
        },
        train: TrainConfig {
            epochs: args.epochs,
            batch_size: args.batch,
            learning_rate: args.lr,
            lr_decay: args.lr_decay,
            loss: match args.loss {
                LossArg::Last => LossMode::Last,
                LossArg::All => LossMode::All,
            },
            stride: args.stride,
            warmup: args.warmup,
            grad_clip: args.clip,
            eval_every: args.eval_every,
            seed: args.seed,
        },
        split: SplitConfig {
            mode: match args.split {
                SplitArg::Songs => SplitMode::BySong,
                SplitArg::Windows => SplitMode::ByWindow,
            },
            seed: args.seed,
            ..SplitConfig::default()
        },
        grid: Default::default(),
    };
    let base = match &args.init {
        None => None,
        Some(path) => {
            let (header, model, _) = load_model(path)?;
            Some((header, model))
        }
    };
    let mut job = Job::new(&corpus, spec, base, &device).map_err(anyhow::Error::msg)?;
    for skipped in job.skipped() {
        eprintln!("skipped {}: {}", skipped.song, skipped.reason);
    }
    let sizes = job.sizes();
    eprintln!(
        "{} songs; windows: {} training (used at stride {}), {} validation, {} test; {} parameters",
        sizes.songs,
        sizes.train_windows,
        args.stride,
        sizes.valid_windows,
        sizes.test_windows,
        sizes.params
    );
    let bar = ProgressBar::new((sizes.steps_per_epoch * args.epochs) as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps · {msg}")
            .context("progress style")?,
    );
    while !job.is_finished() {
        let progress = pollster::block_on(job.step()).map_err(anyhow::Error::msg)?;
        bar.inc(1);
        bar.set_message(format!(
            "epoch {}/{} · loss {:.3} · {:.0} windows/s · ETA {:.0} s",
            progress.epoch,
            progress.epochs,
            progress.train_loss,
            progress.windows_per_s,
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
                "valid": valid, "test": test, "seconds": job.training_seconds(),
            });
            if args.json {
                println!("{line}");
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
    let (bytes, test) = pollster::block_on(job.finish()).map_err(anyhow::Error::msg)?;
    std::fs::write(&args.out, bytes).with_context(|| format!("writing {}", args.out.display()))?;
    report(args.json, &test, job.training_seconds(), &args.out);
    Ok(())
}

fn report(json: bool, test: &Metrics, seconds: f64, out: &std::path::Path) {
    if json {
        println!(
            "{}",
            serde_json::json!({ "test": test, "training_seconds": seconds, "out": out })
        );
    } else {
        println!(
            "test NLL {:.4} nats/token, onset {:.3} bits, accuracy {:.3} ({} windows); trained in {:.0} s; wrote {}",
            test.nll,
            test.onset_bits(),
            test.accuracy,
            test.windows,
            seconds,
            out.display()
        );
    }
}
