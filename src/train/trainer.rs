//! The training loop, one batch per call.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use web_time::Instant;

use super::batch;
use super::metrics::{Metrics, evaluate};
use crate::data::Windows;
use crate::model::{MelodyModel, ModelConfig};
use crate::readback;

/// Which targets the loss is computed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossMode {
    /// The seed's: cross-entropy on the token after each window only.
    Last,
    /// Cross-entropy at every position of the window (teacher forcing): 64 targets per window.
    All,
}

fn every_window() -> usize {
    1
}

/// Training settings. [`TrainConfig::seed_recipe`] gives the seed's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training windows.
    pub epochs: usize,
    /// Windows per step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Multiply the learning rate by this after each epoch (1.0: constant, as the seed).
    pub lr_decay: f64,
    /// Loss mode.
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
    /// Also evaluate on the validation windows every this many steps (always at epoch ends).
    pub eval_every: Option<usize>,
    /// Seed of parameter initialisation, dropout and shuffling.
    pub seed: u64,
}

impl TrainConfig {
    /// The seed's recipe: Adam 0.001, batch 64, 10 epochs, loss on the last token only.
    pub fn seed_recipe() -> Self {
        Self {
            epochs: 10,
            batch_size: 64,
            learning_rate: 1e-3,
            lr_decay: 1.0,
            loss: LossMode::Last,
            stride: 1,
            warmup: 0,
            grad_clip: None,
            eval_every: None,
            seed: 42,
        }
    }
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
    /// Training windows per second so far.
    pub windows_per_s: f64,
    /// Estimated seconds left.
    pub eta_s: f64,
    /// Whether training has finished with this step.
    pub finished: bool,
}

/// The best weights seen on the validation windows.
struct Best {
    metrics: Metrics,
    model: MelodyModel,
}

/// A training run over window indices of a [`Windows`] set, advanced by [`Trainer::step`].
pub struct Trainer {
    config: TrainConfig,
    device: Device,
    model: Option<MelodyModel>,
    optim: ModuleOptimizer,
    /// Every training window; each epoch trains on a strided, shuffled selection.
    candidates: Vec<usize>,
    /// This epoch's windows, in order.
    train: Vec<usize>,
    valid: Vec<usize>,
    hold: u32,
    rng: ChaCha8Rng,
    cursor: usize,
    epoch: usize,
    step: usize,
    learning_rate: f64,
    windows_seen: usize,
    started: Instant,
    best: Option<Best>,
}

impl Trainer {
    /// A fresh network of `model_config`, trained on `train` and validated on `valid` (window
    /// indices of the [`Windows`] later passed to [`Trainer::step`]). `hold` is the id of `_`
    /// (for onset metrics). `device` must not be an autodiff device: the trainer adds autodiff.
    pub fn new(
        model_config: &ModelConfig,
        config: TrainConfig,
        train: Vec<usize>,
        valid: Vec<usize>,
        hold: u32,
        device: &Device,
    ) -> Result<Self, String> {
        model_config.validate()?;
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let model = model_config.init(&device);
        Self::from_model(model, config, train, valid, hold, &device)
    }

    /// Continues training `model` (fine-tuning), as [`Trainer::new`] otherwise.
    pub fn from_model(
        model: MelodyModel,
        config: TrainConfig,
        train: Vec<usize>,
        valid: Vec<usize>,
        hold: u32,
        device: &Device,
    ) -> Result<Self, String> {
        if train.is_empty() {
            return Err("there are no training windows".into());
        }
        if config.epochs == 0 || config.batch_size == 0 {
            return Err("epochs and batch size must be at least 1".into());
        }
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let model = model.fork(&device).train();
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut adam = AdamConfig::new().with_epsilon(1e-7);
        if let Some(norm) = config.grad_clip {
            adam = adam.with_grad_clipping(Some(GradientClippingConfig::Norm(norm)));
        }
        Ok(Self {
            learning_rate: config.learning_rate,
            optim: adam.init(),
            config,
            device,
            model: Some(model),
            candidates: train,
            train: Vec::new(),
            valid,
            hold,
            rng,
            cursor: 0,
            epoch: 0,
            step: 0,
            windows_seen: 0,
            started: Instant::now(),
            best: None,
        })
    }

    /// Steps in one epoch (before the first step: an estimate from the stride).
    pub fn steps_per_epoch(&self) -> usize {
        let windows = if self.train.is_empty() {
            self.candidates.len().div_ceil(self.config.stride.max(1))
        } else {
            self.train.len()
        };
        windows.div_ceil(self.config.batch_size)
    }

    /// Whether every epoch has run.
    pub fn is_finished(&self) -> bool {
        self.epoch >= self.config.epochs
    }

    /// Trains on one batch; evaluates at epoch ends (and every `eval_every` steps).
    pub async fn step(&mut self, windows: &Windows) -> Result<Progress, String> {
        if self.is_finished() {
            return Err("training has already finished".into());
        }
        if self.cursor == 0 {
            let stride = self.config.stride.max(1);
            let phase = self.rng.random_range(0..stride);
            self.train = windows.strided(&self.candidates, stride, phase);
            self.train.shuffle(&mut self.rng);
        }
        let end = (self.cursor + self.config.batch_size).min(self.train.len());
        let chunk = &self.train[self.cursor..end];
        let model = self
            .model
            .take()
            .ok_or("the model was lost in an earlier failed step")?;
        let loss = self.loss(&model, windows, chunk);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optim.step(self.learning_rate, model, grads));
        let train_loss = readback::scalar(loss).await?;

        self.windows_seen += chunk.len();
        self.cursor = end;
        self.step += 1;
        let epoch_done = self.cursor == self.train.len();
        let eval_due = self
            .config
            .eval_every
            .is_some_and(|n| n > 0 && self.step % n == 0);
        let valid = if epoch_done || eval_due {
            Some(self.validate(windows).await?)
        } else {
            None
        };
        let step_in_epoch = self.cursor.div_ceil(self.config.batch_size);
        let epoch = self.epoch + 1;
        if epoch_done {
            self.epoch += 1;
            self.cursor = 0;
            self.learning_rate *= self.config.lr_decay;
        }
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-9);
        let windows_per_s = self.windows_seen as f64 / elapsed;
        let left = (self.config.epochs - self.epoch) * self.train.len() - self.cursor;
        Ok(Progress {
            epoch,
            epochs: self.config.epochs,
            step_in_epoch,
            steps_per_epoch: self.steps_per_epoch(),
            step: self.step,
            train_loss,
            valid,
            windows_per_s,
            eta_s: left as f64 / windows_per_s.max(1e-9),
            finished: self.is_finished(),
        })
    }

    /// The model with the best validation loss so far (or the current one if none was
    /// evaluated yet), in validation mode.
    pub fn best_model(&self) -> Option<MelodyModel> {
        match &self.best {
            Some(best) => Some(best.model.clone()),
            None => self.model.as_ref().map(Module::valid),
        }
    }

    /// The model as it is now, in validation mode.
    pub fn current_model(&self) -> Option<MelodyModel> {
        self.model.as_ref().map(Module::valid)
    }

    /// Validation metrics of [`Trainer::best_model`], if evaluated.
    pub fn best_metrics(&self) -> Option<Metrics> {
        self.best.as_ref().map(|best| best.metrics)
    }

    fn loss(
        &self,
        model: &MelodyModel,
        windows: &Windows,
        chunk: &[usize],
    ) -> burn::tensor::Tensor<1> {
        let inputs = batch::inputs(windows, chunk, &self.device);
        let cross_entropy = CrossEntropyLossConfig::new().init(&self.device);
        match self.config.loss {
            LossMode::Last => {
                let targets = batch::ids(&batch::next_targets(windows, chunk), &self.device);
                cross_entropy.forward(model.forward_last(inputs), targets)
            }
            LossMode::All => {
                let (logits, _) = model.forward(inputs, None);
                let [b, s, v] = logits.dims();
                let skip = self.config.warmup.min(s - 1);
                let targets = batch::all_targets(windows, chunk, skip);
                let logits = logits
                    .narrow(1, skip, s - skip)
                    .reshape([b * (s - skip), v]);
                cross_entropy.forward(logits, batch::ids(&targets, &self.device))
            }
        }
    }

    async fn validate(&mut self, windows: &Windows) -> Result<Metrics, String> {
        let model = self.model.as_ref().ok_or("no model")?.valid();
        let plain = self.device.clone().inner();
        let metrics = evaluate(&model, windows, &self.valid, self.hold, 256, &plain).await?;
        if self
            .best
            .as_ref()
            .is_none_or(|best| metrics.nll < best.metrics.nll)
        {
            self.best = Some(Best { metrics, model });
        }
        Ok(metrics)
    }
}
