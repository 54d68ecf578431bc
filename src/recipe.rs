//! The training recipes and every default of a training run, in one place: the command line,
//! the page and the model file read them from here.
//!
//! Two recipes:
//! - [`Recipe::WholeSong`] (the default): batches of complete songs grouped by length, the
//!   state carried from a start token through the terminator, the loss on every step, and
//!   the meter, mode and bar clock as inputs ([`crate::data::condition`]).
//! - [`Recipe::Seed`]: the tutorial's recipe, kept as the baseline: 64-token windows
//!   predicting the next token, no conditioning.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::ModelConfig;

/// The seed's window length (its model reads 64 terminators before a tune).
pub const SEED_WINDOW: usize = 64;

/// Longest piece of a batch of songs read in one go; longer songs are read in chunks with the
/// state carried across (and the gradient cut there).
pub const SONG_CHUNK: usize = 256;

/// Width of the whole-song recipe's look-back head (attention over the song so far). On Erk's
/// test songs it lowered the joint bits per note by 2.7 % (Erk alone) and, trained on the German
/// pool, from 3.03 to 2.78 (README).
pub const LOOK_BACK: usize = 32;

/// The page's default for the longest tune, in grid steps: the 99th percentile of the German
/// songs' lengths (the 4,708 songs of Erk and `deutschl`: 768 steps, 48 bars of 4/4; Erk
/// alone: 384). Songs in 4/2, 6/2 and 4/1 are the long ones.
pub const DEFAULT_MAX_LEN: usize = 768;

/// The longest tune the page writes (and a share link may hold), in grid steps: 64 bars of
/// 4/4, far above the longest German song (the page's length field's range starts at 16).
pub const MAX_LEN_LIMIT: usize = 1024;

/// How a model reads songs: what it is trained on and so how a tune starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Context {
    /// Windows of `len` tokens (the seed): a tune starts after `len` terminators.
    Window {
        /// Tokens per window.
        len: usize,
    },
    /// Whole songs from a start token (the terminator's id) with the state carried throughout.
    WholeSong {
        /// Steps read at once in training (longer songs go in chunks).
        chunk: usize,
    },
}

impl Default for Context {
    /// The seed's windows: what every model file written before whole songs used.
    fn default() -> Self {
        Context::Window { len: SEED_WINDOW }
    }
}

impl Context {
    /// Terminators read before a tune's first token.
    pub fn start_tokens(&self) -> usize {
        match self {
            Context::Window { len } => *len,
            Context::WholeSong { .. } => 1,
        }
    }

    /// Steps read at once: the window, or the whole-song chunk.
    pub fn chunk(&self) -> usize {
        match self {
            Context::Window { len } => *len,
            Context::WholeSong { chunk } => *chunk,
        }
    }
}

/// Which targets the loss of the window recipe is computed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossMode {
    /// The seed's: cross-entropy on the token after each window only.
    Last,
    /// Cross-entropy at every position of the window (teacher forcing): 64 targets per window.
    All,
}

/// How the whole-song loss weighs its targets. Batches hold songs of one length, and a song
/// longer than the chunk is read in several chunks, one optimizer step each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weighting {
    /// The mean over each chunk's targets: every chunk weighs the same, so the steps of short
    /// songs, and every song's terminator, weigh more than long songs' steps. The network then
    /// foresees the end about 25 % more often than it comes (README), which keeps its tunes
    /// from running long.
    #[default]
    PerChunk,
    /// Every target weighs the same (the sum over a chunk's targets over the mean number of
    /// targets in a batch): the likelihood the whole-song NLL measures.
    PerTarget,
}

impl Weighting {
    /// Every weighting, for the command line.
    pub const ALL: [Weighting; 2] = [Weighting::PerChunk, Weighting::PerTarget];

    /// The name the command line uses.
    pub fn name(self) -> &'static str {
        match self {
            Weighting::PerChunk => "per-chunk",
            Weighting::PerTarget => "per-target",
        }
    }
}

impl FromStr for Weighting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        by_name(&Weighting::ALL, s, "weighting", Weighting::name)
    }
}

/// The one of `all` that `name_of` calls `name`, or why none is (`what` names the setting and
/// the message lists the names).
fn by_name<T: Copy>(
    all: &[T],
    name: &str,
    what: &str,
    name_of: impl Fn(T) -> &'static str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|&item| name_of(item) == name)
        .ok_or_else(|| {
            let names: Vec<_> = all.iter().map(|&item| name_of(item)).collect();
            format!("{what} '{name}' is not one of: {}", names.join(", "))
        })
}

fn every_window() -> usize {
    1
}

/// How many tunes a trained model writes to fit its calibrations of writing: they refine the
/// end's after its teacher-forced fit and fit the one of new pitches
/// ([`crate::generate::fit_calibration`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalibrationRounds {
    /// Rounds of tunes (0: the end's teacher-forced fit alone, and no calibration of new
    /// pitches).
    pub rounds: usize,
    /// Tunes written per round.
    pub tunes: u64,
}

/// The command line's refinement (`melodeon train`, `melodeon calibrate`): about 25 s natively.
pub const CALIBRATION_ROUNDS: CalibrationRounds = CalibrationRounds {
    rounds: 8,
    tunes: 2000,
};

/// The page's: its tunes are written about six times slower than natively, so it writes 1,000
/// where the command line writes 16,000 (after 2 epochs on Erk the page took 8.3 s from its
/// last step to the trained model, against 1.3 s with the teacher-forced fit alone). On the
/// shipped model's network the tunes then end on the tonic 82.8 % of the time, against 81.4 %
/// with the teacher-forced fit alone and 83.4 % with [`CALIBRATION_ROUNDS`]; with new pitches
/// calibrated as well they use 7.92 distinct pitches on average (7.86 with the command line's
/// rounds, 8.29 without; the held-out songs 7.95) and the page's finish takes 7.9 s (README).
pub const PAGE_CALIBRATION_ROUNDS: CalibrationRounds = CalibrationRounds {
    rounds: 2,
    tunes: 500,
};
/// Seed of the first tune written for the calibrations (far from the seeds of `melodeon stats`).
pub const CALIBRATION_SEED: u64 = 1 << 40;

/// Training settings. [`Recipe::train`] gives each recipe's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// How songs are read (windows or whole songs). Files from before whole songs: windows.
    #[serde(default)]
    pub context: Context,
    /// Passes over the training data.
    pub epochs: usize,
    /// Windows (or, for whole songs, songs) per step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Multiply the learning rate by this after each epoch (1.0: constant, as the seed).
    pub lr_decay: f64,
    /// Loss mode of the window recipe (whole songs: always every step).
    pub loss: LossMode,
    /// Train on every `stride`-th window of each song, with a new random phase each epoch
    /// (1: every window, as the seed). Meant for [`LossMode::All`].
    #[serde(default = "every_window")]
    pub stride: usize,
    /// With [`LossMode::All`], leave the first `warmup` positions of each window out of the
    /// loss: their predictions rest on a few tokens of context only.
    #[serde(default)]
    pub warmup: usize,
    /// Clip gradients to this global norm, if set.
    pub grad_clip: Option<f32>,
    /// Also evaluate on the validation data every this many steps (always at epoch ends).
    pub eval_every: Option<usize>,
    /// Average the weights at the ends of the last this many epochs (stochastic weight
    /// averaging): from the first of them on, the epoch ends validate (and may keep) the
    /// average instead of the weights as they are. `None`: no averaging.
    #[serde(default)]
    pub average_last: Option<usize>,
    /// How the whole-song loss weighs its targets.
    #[serde(default)]
    pub weighting: Weighting,
    /// Seed of parameter initialisation, dropout and shuffling.
    pub seed: u64,
}

/// The network's shape for a fresh model (the vocabulary and meters come from the corpus).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    /// Hidden units per LSTM layer.
    pub hidden: usize,
    /// LSTM layers.
    pub layers: usize,
    /// Embedding width (`None`: the vocabulary size, as the seed).
    pub embedding: Option<usize>,
    /// Dropout after each LSTM layer.
    pub dropout: f64,
    /// Meter, mode and the bar clock as inputs.
    #[serde(default)]
    pub conditioned: bool,
    /// Width of the look-back head (0: none).
    #[serde(default)]
    pub look_back: usize,
    /// With look-back, also a copy head that points at earlier steps to repeat them.
    #[serde(default)]
    pub copy: bool,
    /// With conditioning, also tell the model how many bars are left (off by default: it
    /// lowers the NLL given the length but made the German pool's tunes worse; README).
    #[serde(default)]
    pub bars_left: bool,
    /// With conditioning, also tell the model the sounding scale degree and where the last
    /// pitch lies in the range so far (on by default: it lowers the held-out NLL a little and
    /// brings the tunes' pitch range and endings closer to the songs'; README).
    #[serde(default)]
    pub melodic: bool,
    /// With conditioning, also tell the model the last interval.
    #[serde(default)]
    pub interval: bool,
}

impl Default for Shape {
    /// The default recipe's network.
    fn default() -> Self {
        Recipe::default().shape()
    }
}

impl Shape {
    /// The model config for a vocabulary of `vocab_size` tokens and, when conditioned, the
    /// corpus's `conditioning`.
    pub fn config(
        &self,
        vocab_size: usize,
        conditioning: Option<crate::data::Conditioning>,
    ) -> ModelConfig {
        ModelConfig {
            vocab_size,
            embedding_dim: self.embedding.unwrap_or(vocab_size),
            hidden: self.hidden,
            layers: self.layers,
            dropout: self.dropout,
            conditioning: conditioning.filter(|_| self.conditioned).map(|c| {
                crate::data::Conditioning {
                    bars_left: self.bars_left,
                    melodic: self.melodic,
                    interval: self.interval,
                    ..c
                }
            }),
            look_back: self.look_back,
            copy: self.copy && self.look_back > 0,
        }
    }
}

/// A training recipe: the defaults of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recipe {
    /// Whole songs, conditioned on meter, mode and the bar clock (the default).
    #[default]
    WholeSong,
    /// The seed's 64-token windows, loss on the next token: the baseline.
    Seed,
}

impl Recipe {
    /// Every recipe, default first.
    pub const ALL: [Recipe; 2] = [Recipe::WholeSong, Recipe::Seed];

    /// The recipe's name on the command line and in the page.
    pub fn name(self) -> &'static str {
        match self {
            Recipe::WholeSong => "whole-song",
            Recipe::Seed => "seed",
        }
    }

    /// A sentence for help texts.
    pub fn description(self) -> &'static str {
        match self {
            Recipe::WholeSong => {
                "whole songs with meter, mode, bar position and the melody so far as inputs and a look-back over the song (fast, shapes tunes like songs)"
            }
            Recipe::Seed => "the seed's 64-token windows, loss on the next token (the baseline)",
        }
    }

    /// The network: the seed's (1 × 128, embedding as wide as the vocabulary, dropout 0.2),
    /// conditioned and with a look-back head for whole songs.
    pub fn shape(self) -> Shape {
        Shape {
            hidden: 128,
            layers: 1,
            embedding: None,
            dropout: 0.2,
            conditioned: self == Recipe::WholeSong,
            look_back: if self == Recipe::WholeSong {
                LOOK_BACK
            } else {
                0
            },
            copy: false,
            bars_left: false,
            melodic: self == Recipe::WholeSong,
            interval: false,
        }
    }

    /// The training settings.
    pub fn train(self) -> TrainConfig {
        match self {
            Recipe::WholeSong => TrainConfig {
                context: Context::WholeSong { chunk: SONG_CHUNK },
                epochs: 40,
                batch_size: 16,
                learning_rate: 3e-3,
                lr_decay: 0.96,
                loss: LossMode::All,
                stride: 1,
                warmup: 0,
                grad_clip: Some(1.0),
                eval_every: None,
                average_last: None,
                weighting: Weighting::PerChunk,
                seed: 42,
            },
            Recipe::Seed => TrainConfig {
                context: Context::Window { len: SEED_WINDOW },
                epochs: 10,
                batch_size: 64,
                learning_rate: 1e-3,
                lr_decay: 1.0,
                loss: LossMode::Last,
                stride: 1,
                warmup: 0,
                grad_clip: None,
                eval_every: None,
                average_last: None,
                weighting: Weighting::PerChunk,
                seed: 42,
            },
        }
    }
}

impl fmt::Display for Recipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Recipe {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        by_name(&Recipe::ALL, s, "recipe", Recipe::name)
    }
}
