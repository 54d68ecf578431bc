//! `melodeon train`: train a model on a corpus and write a model file.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use super::eval::print_metrics;
use super::{load_model, read_corpus};
use crate::backend;
use crate::data::{SplitConfig, SplitMode};
use crate::recipe::{CALIBRATION_ROUNDS, Context, LossMode, Recipe, Shape, TrainConfig, Weighting};
use crate::train::{Job, JobSpec};

/// How to split the corpus (command-line spelling of [`SplitMode`]).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SplitArg {
    /// By song, variants (songs sharing an opening) kept together (Melodeon's default).
    Grouped,
    /// By song.
    Songs,
    /// By window, as the seed did.
    Windows,
}

/// Loss mode of the window recipe (command-line spelling of [`LossMode`]).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LossArg {
    /// The seed's: the token after each window only.
    Last,
    /// Every position of each window.
    All,
}

/// Options of `melodeon train`. Every setting left out takes the recipe's default
/// ([`Recipe::shape`], [`Recipe::train`]).
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
    /// The recipe: `whole-song` (default) or `seed` (the tutorial's 64-token windows).
    #[arg(long, default_value_t = Recipe::default())]
    recipe: Recipe,
    /// Passes over the training data.
    #[arg(long)]
    epochs: Option<usize>,
    /// Hidden units per LSTM layer.
    #[arg(long)]
    hidden: Option<usize>,
    /// LSTM layers.
    #[arg(long)]
    layers: Option<usize>,
    /// Embedding width (default: the vocabulary size, as the seed).
    #[arg(long)]
    embedding: Option<usize>,
    /// Dropout after each LSTM layer.
    #[arg(long)]
    dropout: Option<f64>,
    /// Without meter, mode and bar-clock inputs (whole-song recipe).
    #[arg(long)]
    unconditioned: bool,
    /// Width of a look-back head (attention over the earlier steps; 0: none).
    #[arg(long)]
    look_back: Option<usize>,
    /// Also a copy head: the look-back points at earlier steps to repeat what followed them.
    #[arg(long)]
    copy: bool,
    /// Also tell a conditioned model how many bars are left (an experiment; see the README).
    #[arg(long)]
    bars_left: bool,
    /// Without the melodic inputs (the sounding scale degree and the range so far).
    #[arg(long)]
    no_melodic: bool,
    /// Also tell a conditioned model the last interval (an experiment; see the README).
    #[arg(long)]
    interval: bool,
    /// Window recipe: loss on the last token (the seed) or on every position.
    #[arg(long, value_enum)]
    loss: Option<LossArg>,
    /// Window recipe: train on every N-th window of each song, with a new phase each epoch.
    #[arg(long)]
    stride: Option<usize>,
    /// Window recipe with `--loss all`: leave the first N positions of each window out.
    #[arg(long)]
    warmup: Option<usize>,
    /// Whole-song recipe: steps read at once (longer songs go in chunks, state carried).
    #[arg(long)]
    chunk: Option<usize>,
    /// How to split the songs.
    #[arg(long, value_enum, default_value = "grouped")]
    split: SplitArg,
    /// Windows (seed) or songs (whole-song) per step.
    #[arg(long)]
    batch: Option<usize>,
    /// Adam's learning rate.
    #[arg(long)]
    lr: Option<f64>,
    /// Multiply the learning rate by this after every epoch.
    #[arg(long)]
    lr_decay: Option<f64>,
    /// Clip gradients to this global norm (0: no clipping).
    #[arg(long)]
    clip: Option<f32>,
    /// Also validate every N steps.
    #[arg(long)]
    eval_every: Option<usize>,
    /// Average the weights of the last N epochs' ends (0: no averaging; see the README).
    #[arg(long)]
    average_last: Option<usize>,
    /// Whole songs: how the loss weighs its targets, `per-chunk` (default) or `per-target`
    /// (see the README).
    #[arg(long)]
    weighting: Option<Weighting>,
    /// Seed of initialisation, dropout, shuffling and (unless `--split-seed` is given) the split.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Seed of the split alone (members of an ensemble share the split, not the seed).
    #[arg(long)]
    split_seed: Option<u64>,
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

impl TrainArgs {
    /// The network: the recipe's, with the options given.
    fn shape(&self) -> Shape {
        let base = self.recipe.shape();
        Shape {
            hidden: self.hidden.unwrap_or(base.hidden),
            layers: self.layers.unwrap_or(base.layers),
            embedding: self.embedding.or(base.embedding),
            dropout: self.dropout.unwrap_or(base.dropout),
            conditioned: base.conditioned && !self.unconditioned,
            look_back: self.look_back.unwrap_or(base.look_back),
            copy: base.copy || self.copy,
            bars_left: base.bars_left || self.bars_left,
            melodic: base.melodic && !self.no_melodic,
            interval: base.interval || self.interval,
        }
    }

    /// The training settings: the recipe's, with the options given.
    fn train(&self) -> TrainConfig {
        let base = self.recipe.train();
        TrainConfig {
            context: match (base.context, self.chunk) {
                (Context::WholeSong { .. }, Some(chunk)) => Context::WholeSong { chunk },
                (context, _) => context,
            },
            epochs: self.epochs.unwrap_or(base.epochs),
            batch_size: self.batch.unwrap_or(base.batch_size),
            learning_rate: self.lr.unwrap_or(base.learning_rate),
            lr_decay: self.lr_decay.unwrap_or(base.lr_decay),
            loss: match self.loss {
                Some(LossArg::Last) => LossMode::Last,
                Some(LossArg::All) => LossMode::All,
                None => base.loss,
            },
            stride: self.stride.unwrap_or(base.stride),
            warmup: self.warmup.unwrap_or(base.warmup),
            grad_clip: match self.clip {
                Some(c) if c <= 0.0 => None,
                Some(c) => Some(c),
                None => base.grad_clip,
            },
            eval_every: self.eval_every.or(base.eval_every),
            average_last: match self.average_last {
                Some(0) => None,
                Some(n) => Some(n),
                None => base.average_last,
            },
            weighting: self.weighting.unwrap_or(base.weighting),
            seed: self.seed,
        }
    }
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
        shape: args.shape(),
        train: args.train(),
        split: SplitConfig {
            mode: match args.split {
                SplitArg::Grouped => SplitMode::Grouped,
                SplitArg::Songs => SplitMode::BySong,
                SplitArg::Windows => SplitMode::ByWindow,
            },
            seed: args.split_seed.unwrap_or(args.seed),
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
    let epochs = spec.train.epochs;
    let mut job = Job::new(&corpus, spec, base, &device).map_err(anyhow::Error::msg)?;
    for skipped in job.skipped() {
        eprintln!("skipped {}: {}", skipped.song, skipped.reason);
    }
    let sizes = job.sizes();
    eprintln!(
        "recipe {}: {} songs ({} training, {} validation, {} test); {} training {} per epoch; {} parameters",
        args.recipe,
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
