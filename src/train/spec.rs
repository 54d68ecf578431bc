//! What a training run is asked to do and what it reports: plain data, which the page sends
//! and shows without burn.

use serde::{Deserialize, Serialize};

use super::{Metrics, TrainConfig};
use crate::data::SplitConfig;
use crate::encoding::grid::GridConfig;
use crate::recipe::Shape;

/// What to train and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// Name of the model to write.
    pub name: String,
    /// Name of the corpus, stored in the model file.
    pub corpus_name: String,
    /// Shape of a fresh network (ignored when fine-tuning: the starting model's is kept).
    pub shape: Shape,
    /// Training settings.
    pub train: TrainConfig,
    /// How the songs are split.
    pub split: SplitConfig,
    /// How the corpus was encoded.
    pub grid: GridConfig,
}

/// A song left out of a fine-tuning run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The song's id.
    pub song: String,
    /// Why.
    pub reason: String,
}

/// Sizes of the run, for the page and the terminal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSizes {
    /// Songs trained, validated and tested on.
    pub songs: usize,
    /// Songs of each part: training.
    pub train_songs: usize,
    /// Validation songs.
    pub valid_songs: usize,
    /// Test songs.
    pub test_songs: usize,
    /// Training windows (the window recipe) or tokens (whole songs) per epoch.
    pub train_units: usize,
    /// What `train_units` counts: `"windows"` or `"tokens"`.
    pub unit: String,
    /// Optimizer steps per epoch.
    pub steps_per_epoch: usize,
    /// Parameters of the network.
    pub params: usize,
}

/// What one step did, for progress bars and loss curves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Epoch of this step, from 1.
    pub epoch: usize,
    /// Number of epochs.
    pub epochs: usize,
    /// Step within the epoch, from 1.
    pub step_in_epoch: usize,
    /// Steps per epoch.
    pub steps_per_epoch: usize,
    /// Steps done in all.
    pub step: usize,
    /// Training loss of this batch (nats per target).
    pub train_loss: f64,
    /// Validation metrics, when this step evaluated.
    pub valid: Option<Metrics>,
    /// Training windows (window recipe) or tokens (whole songs) per second so far.
    pub rate: f64,
    /// What [`Progress::rate`] counts: `"windows"` or `"tokens"`.
    pub rate_unit: String,
    /// Estimated seconds left.
    pub eta_s: f64,
    /// Whether training has finished with this step.
    pub finished: bool,
}
