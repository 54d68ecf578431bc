//! The training recipes and every default of a training run, in one place: the command line,
//! the page and the model file read them from here.
//!
//! Two recipes:
//! - [`Recipe::WholeSong`] (the default): batches of complete songs grouped by length, the
//!   state carried from a start token through the terminator, the loss on every step, and
//!   the meter, mode and bar clock as inputs ([`crate::data::condition`]).
//! - [`Recipe::Windows`]: the tutorial's recipe, kept as the baseline: 64-token windows
//!   predicting the next token, no conditioning.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::data::{Conditioning, Layout, SplitConfig, SplitMode};
use crate::model::ModelConfig;
use crate::settings::{Range, by_name, choices};

/// The tutorial's window length (its model reads 64 terminators before a tune).
pub const WINDOW_LEN: usize = 64;

/// Longest piece of a batch of songs read in one go; longer songs are read in chunks with the
/// state carried across (and the gradient cut there).
pub const SONG_CHUNK: usize = 256;

/// Width of the whole-song recipe's look-back head: attention over the top layer's states of
/// every earlier step, so that a tune can take up a bar from anywhere before. It lowers the
/// held-out NLL (docs/results.md, "NLL of each recipe").
pub const LOOK_BACK: usize = 32;

/// How a model reads songs: what it is trained on and so how a tune starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Context {
    /// Windows of `len` tokens (the tutorial): a tune starts after `len` terminators.
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
    /// The tutorial's windows: what every model file written before whole songs used.
    fn default() -> Self {
        Context::Window { len: WINDOW_LEN }
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
    /// The tutorial's: cross-entropy on the token after each window only.
    Last,
    /// Cross-entropy at every position of the window (teacher forcing): 64 targets per window.
    All,
}

choices!(LossMode, "loss", [Last => "last", All => "all"]);

/// How the whole-song loss weighs its targets. Batches hold songs of one length, and a song
/// longer than the chunk is read in several chunks, one optimizer step each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weighting {
    /// The mean over each chunk's targets: every chunk weighs the same, so the steps of short
    /// songs, and every song's terminator, weigh more than long songs' steps. The network then
    /// foresees the end more often than it comes, which keeps its free-running tunes from
    /// running long (docs/results.md, "How the loss weighs its targets, and averaged weights").
    #[default]
    PerChunk,
    /// Every target weighs the same (the sum over a chunk's targets over the mean number of
    /// targets in a batch): the likelihood the whole-song NLL measures.
    PerTarget,
}

choices!(Weighting, "weighting", [PerChunk => "per-chunk", PerTarget => "per-target"]);

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

/// The command line's refinement (`melodeon train`, `melodeon calibrate`): enough tunes per
/// round that the calibrations settle, at a cost of seconds natively (docs/results.md,
/// "Calibrations of writing and forms").
pub const CALIBRATION_ROUNDS: CalibrationRounds = CalibrationRounds {
    rounds: 8,
    tunes: 2000,
};

/// The page's: it writes tunes several times slower than the command line, so it refines the
/// calibrations on fewer tunes, which keeps the end of a run in the page to seconds at the cost
/// of slightly looser calibrations (docs/results.md, "Calibrations of writing and forms").
pub const PAGE_CALIBRATION_ROUNDS: CalibrationRounds = CalibrationRounds {
    rounds: 2,
    tunes: 500,
};
/// Seed of the first tune written for the calibrations (far from the seeds of `melodeon stats`).
pub const CALIBRATION_SEED: u64 = 1 << 40;

/// Seed of a run's initialisation, dropout, shuffling and split when none is chosen.
pub const DEFAULT_SEED: u64 = 42;

/// The range of passes over the training data.
pub const EPOCHS: Range<usize> = Range { min: 1, max: 1000 };
/// The range of windows or songs per step.
pub const BATCH: Range<usize> = Range { min: 1, max: 512 };
/// The range of Adam's learning rate.
pub const LEARNING_RATE: Range<f64> = Range {
    min: 1e-5,
    max: 0.1,
};
/// The range of the learning rate's factor after each epoch.
pub const LR_DECAY: Range<f64> = Range { min: 0.5, max: 1.0 };
/// The range of the window recipe's stride.
pub const STRIDE: Range<usize> = Range { min: 1, max: 64 };
/// The windows recipe's stride in the page, with the loss on every position: its fastest
/// there.
pub const PAGE_WINDOW_STRIDE: usize = 16;

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
    /// Multiply the learning rate by this after each epoch (1.0: constant, as the tutorial).
    pub lr_decay: f64,
    /// Loss mode of the window recipe (whole songs: always every step).
    pub loss: LossMode,
    /// Train on every `stride`-th window of each song, with a new random phase each epoch
    /// (1: every window, as the tutorial). Meant for [`LossMode::All`].
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
    /// Embedding width (`None`: the vocabulary size, as the tutorial).
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
    /// With conditioning, which inputs beyond the clock the model reads. The default recipe
    /// reads the melodic inputs, which bring its tunes' range and endings closer to the
    /// songs'; the bars left made the German songs' tunes worse (docs/results.md).
    #[serde(flatten)]
    pub inputs: Layout,
}

impl TrainConfig {
    /// Checks every setting against its range.
    pub fn validate(&self) -> Result<(), String> {
        let counts = [
            (EPOCHS, "the number of epochs", self.epochs),
            (BATCH, "the batch size", self.batch_size),
            (STRIDE, "the stride", self.stride),
        ];
        for (range, name, value) in counts {
            range.check(name, value)?;
        }
        LEARNING_RATE.check("the learning rate", self.learning_rate)?;
        LR_DECAY.check("the learning rate's decay", self.lr_decay)?;
        if self.context.chunk() == 0 {
            return Err("the chunk must be at least one step".into());
        }
        Ok(())
    }
}

impl Default for Shape {
    /// The default recipe's network.
    fn default() -> Self {
        Recipe::default().shape()
    }
}

impl Shape {
    /// The model config for a vocabulary of `vocab_size` tokens and, when conditioned, the
    /// corpus's `conditioning` (read with this shape's inputs).
    pub fn config(&self, vocab_size: usize, conditioning: Option<Conditioning>) -> ModelConfig {
        ModelConfig {
            vocab_size,
            embedding_dim: self.embedding.unwrap_or(vocab_size),
            hidden: self.hidden,
            layers: self.layers,
            dropout: self.dropout,
            conditioning: conditioning
                .filter(|_| self.conditioned)
                .map(|c| Conditioning {
                    layout: self.inputs,
                    ..c
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
    /// The tutorial's 64-token windows, loss on the next token: the baseline every change of
    /// method is measured against (`seed`, its old name, still reads).
    #[serde(alias = "seed")]
    Windows,
}

impl Recipe {
    /// Every recipe, default first.
    pub const ALL: [Recipe; 2] = [Recipe::WholeSong, Recipe::Windows];

    /// The recipe's name on the command line and in the page.
    pub fn name(self) -> &'static str {
        match self {
            Recipe::WholeSong => "whole-song",
            Recipe::Windows => "windows",
        }
    }

    /// Other names the command line still reads (scripts written before a rename).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Recipe::WholeSong => &[],
            Recipe::Windows => &["seed"],
        }
    }

    /// A sentence for help texts.
    pub fn description(self) -> &'static str {
        match self {
            Recipe::WholeSong => {
                "whole songs with meter, mode, bar position and the melody so far as inputs and a look-back over the song (fast, shapes tunes like songs)"
            }
            Recipe::Windows => {
                "the tutorial's 64-token windows, loss on the next token (the baseline)"
            }
        }
    }

    /// The network: the tutorial's (1 × 128, embedding as wide as the vocabulary, dropout 0.2),
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
            inputs: Layout {
                melodic: self == Recipe::WholeSong,
                ..Layout::default()
            },
        }
    }

    /// The recipe's network, unconditioned, for a vocabulary of `vocab_size` tokens.
    pub fn network(self, vocab_size: usize) -> ModelConfig {
        self.shape().config(vocab_size, None)
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
                seed: DEFAULT_SEED,
            },
            Recipe::Windows => TrainConfig {
                context: Context::Window { len: WINDOW_LEN },
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
                seed: DEFAULT_SEED,
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
        Recipe::ALL
            .into_iter()
            .find(|recipe| recipe.aliases().contains(&s))
            .map_or_else(|| by_name(&Recipe::ALL, s, "recipe", Recipe::name), Ok)
    }
}

/// A run as asked: a recipe, and whichever of its defaults a person overrode: the command
/// line's flags (natively this struct is those flags, so each is defined once, here) or the
/// page's form. [`TrainOverrides::resolve`] is the one place they become the network's shape,
/// the training settings and the split.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::Args))]
pub struct TrainOverrides {
    /// The recipe: `whole-song` (default) or `windows` (the tutorial's 64-token windows, the
    /// baseline; `seed` still reads).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long, default_value_t = Recipe::default()))]
    pub recipe: Recipe,
    /// Passes over the training data.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub epochs: Option<usize>,
    /// Hidden units per LSTM layer.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub hidden: Option<usize>,
    /// LSTM layers.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub layers: Option<usize>,
    /// Embedding width (default: the vocabulary size, as the tutorial).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub embedding: Option<usize>,
    /// Dropout after each LSTM layer.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub dropout: Option<f64>,
    /// Without meter, mode and bar-clock inputs (whole-song recipe).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub unconditioned: bool,
    /// Width of a look-back head (attention over the earlier steps; 0: none).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub look_back: Option<usize>,
    /// Also a copy head: the look-back points at earlier steps to repeat what followed them.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub copy: bool,
    /// Also tell a conditioned model how many bars are left (an experiment; docs/results.md).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub bars_left: bool,
    /// Without the melodic inputs (the sounding scale degree and the range so far).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub no_melodic: bool,
    /// Also tell a conditioned model the last interval (an experiment; docs/results.md).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub interval: bool,
    /// Window recipe: loss on the `last` token (the tutorial's) or on `all` positions.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub loss: Option<LossMode>,
    /// Window recipe: train on every N-th window of each song, with a new phase each epoch.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub stride: Option<usize>,
    /// Window recipe with `--loss all`: leave the first N positions of each window out.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub warmup: Option<usize>,
    /// Whole-song recipe: steps read at once (longer songs go in chunks, state carried).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub chunk: Option<usize>,
    /// Windows (window recipe) or songs (whole-song) per step.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub batch: Option<usize>,
    /// Adam's learning rate.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long = "lr"))]
    pub learning_rate: Option<f64>,
    /// Multiply the learning rate by this after every epoch.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub lr_decay: Option<f64>,
    /// Clip gradients to this global norm (0: no clipping).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub clip: Option<f32>,
    /// Also validate every N steps.
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub eval_every: Option<usize>,
    /// Average the weights of the last N epochs' ends (0: no averaging; docs/decisions.md).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub average_last: Option<usize>,
    /// Whole songs: how the loss weighs its targets, `per-chunk` (default) or `per-target`
    /// (docs/decisions.md).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub weighting: Option<Weighting>,
    /// Seed of initialisation, dropout, shuffling and (unless `--split-seed` is given) the split
    /// (default: the recipe's).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub seed: Option<u64>,
    /// How to split the songs: `grouped` (by song, variants kept together; the default),
    /// `songs` or `windows` (the tutorial's).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub split: Option<SplitMode>,
    /// Seed of the split alone (members of an ensemble share the split, not the seed).
    #[cfg_attr(not(target_arch = "wasm32"), arg(long))]
    pub split_seed: Option<u64>,
}

/// What [`TrainOverrides::resolve`] gives: a run's settings, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The network's shape.
    pub shape: Shape,
    /// The training settings.
    pub train: TrainConfig,
    /// How the songs are split.
    pub split: SplitConfig,
}

impl TrainOverrides {
    /// The recipe's defaults with these overrides, checked against every range.
    pub fn resolve(&self) -> Result<Resolved, String> {
        let (shape, train) = (self.recipe.shape(), self.recipe.train());
        let shape = Shape {
            hidden: self.hidden.unwrap_or(shape.hidden),
            layers: self.layers.unwrap_or(shape.layers),
            embedding: self.embedding.or(shape.embedding),
            dropout: self.dropout.unwrap_or(shape.dropout),
            conditioned: shape.conditioned && !self.unconditioned,
            look_back: self.look_back.unwrap_or(shape.look_back),
            copy: shape.copy || self.copy,
            inputs: Layout {
                bars_left: shape.inputs.bars_left || self.bars_left,
                melodic: shape.inputs.melodic && !self.no_melodic,
                interval: shape.inputs.interval || self.interval,
            },
        };
        let seed = self.seed.unwrap_or(train.seed);
        let train = TrainConfig {
            context: match (train.context, self.chunk) {
                (Context::WholeSong { .. }, Some(chunk)) => Context::WholeSong { chunk },
                (context, _) => context,
            },
            epochs: self.epochs.unwrap_or(train.epochs),
            batch_size: self.batch.unwrap_or(train.batch_size),
            learning_rate: self.learning_rate.unwrap_or(train.learning_rate),
            lr_decay: self.lr_decay.unwrap_or(train.lr_decay),
            loss: self.loss.unwrap_or(train.loss),
            stride: self.stride.unwrap_or(train.stride),
            warmup: self.warmup.unwrap_or(train.warmup),
            grad_clip: match self.clip {
                Some(clip) if clip <= 0.0 => None,
                Some(clip) => Some(clip),
                None => train.grad_clip,
            },
            eval_every: self.eval_every.or(train.eval_every),
            average_last: match self.average_last {
                Some(0) => None,
                Some(n) => Some(n),
                None => train.average_last,
            },
            weighting: self.weighting.unwrap_or(train.weighting),
            seed,
        };
        // The vocabulary is not known yet: a stand-in of one token checks the sizes.
        shape.config(1, None).validate()?;
        train.validate()?;
        let split = SplitConfig {
            mode: self.split.unwrap_or(SplitConfig::default().mode),
            seed: self.split_seed.unwrap_or(seed),
            ..SplitConfig::default()
        };
        Ok(Resolved {
            shape,
            train,
            split,
        })
    }
}
