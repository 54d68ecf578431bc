//! The training loop, one batch per call.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use web_time::Instant;

use super::Progress;
use super::adam::FusedAdam;
use crate::data::Windows;
use crate::data::batch;
use crate::data::songs::{self, SongSeq};
use crate::encoding::vocab::Vocab;
use crate::eval::{Metrics, evaluate, evaluate_songs};
use crate::model::readback;
use crate::model::{MelodyModel, ModelConfig, State, average};
use crate::recipe::{Context, LossMode, TrainConfig, Weighting};

/// Adam's epsilon (Keras' default, as in the tutorial).
const ADAM_EPSILON: f32 = 1e-7;

/// What a trainer reads: windows (the tutorial's recipe) or whole songs.
#[derive(Clone, Copy, Debug)]
pub enum TrainData<'a> {
    /// Windows over the songs; indices are window indices.
    Windows(&'a Windows),
    /// Whole songs; indices are song indices.
    Songs(&'a [SongSeq]),
}

/// The best weights seen on the validation data.
struct Best {
    metrics: Metrics,
    model: MelodyModel,
}

/// A training run over indices of a [`TrainData`], advanced by [`Trainer::step`].
pub struct Trainer {
    config: TrainConfig,
    device: Device,
    model: Option<MelodyModel>,
    optim: ModuleOptimizer,
    /// Every training window or song; each epoch plans its batches from them.
    candidates: Vec<usize>,
    /// This epoch's batches, in order.
    plan: Vec<Vec<usize>>,
    valid: Vec<usize>,
    vocab: Vocab,
    rng: ChaCha8Rng,
    cursor: usize,
    epoch: usize,
    step: usize,
    learning_rate: f64,
    seen: usize,
    started: Instant,
    best: Option<Best>,
    /// The mean of the weights at the epoch ends averaged so far, and how many.
    average: Option<(MelodyModel, usize)>,
}

/// What a training run starts from.
#[derive(Debug)]
pub enum Start {
    /// A fresh network of this shape, initialised from the run's seed.
    Fresh(ModelConfig),
    /// A trained network, to go on training (fine-tuning).
    From(Box<MelodyModel>),
}

impl Trainer {
    /// Trains the network `start` gives on `train` and validates it on `valid` (indices of the
    /// [`TrainData`] later passed to [`Trainer::step`]). `device` must not be an autodiff
    /// device: the trainer adds autodiff.
    pub fn new(
        start: Start,
        config: TrainConfig,
        train: Vec<usize>,
        valid: Vec<usize>,
        vocab: Vocab,
        device: &Device,
    ) -> Result<Self, String> {
        let device = device.clone().autodiff();
        let model = match start {
            Start::Fresh(model_config) => {
                model_config.validate()?;
                device.seed(config.seed);
                model_config.init(&device)
            }
            Start::From(model) => *model,
        };
        if train.is_empty() {
            return Err("there is nothing to train on".into());
        }
        if config.epochs == 0 || config.batch_size == 0 {
            return Err("epochs and batch size must be at least 1".into());
        }
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let model = model.fork(&device).train();
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        Ok(Self {
            learning_rate: config.learning_rate,
            optim: FusedAdam::module_optimizer(ADAM_EPSILON, config.grad_clip),
            config,
            device,
            model: Some(model),
            candidates: train,
            plan: Vec::new(),
            valid,
            vocab,
            rng,
            cursor: 0,
            epoch: 0,
            step: 0,
            seen: 0,
            started: Instant::now(),
            best: None,
            average: None,
        })
    }

    /// Steps in one epoch (before the first step: an estimate from the stride).
    pub fn steps_per_epoch(&self) -> usize {
        if !self.plan.is_empty() {
            return self.plan.len();
        }
        let units = match self.config.context {
            Context::Window { .. } => self.candidates.len().div_ceil(self.config.stride.max(1)),
            Context::WholeSong { .. } => self.candidates.len(),
        };
        units.div_ceil(self.config.batch_size)
    }

    /// Whether every epoch has run.
    pub fn is_finished(&self) -> bool {
        self.epoch >= self.config.epochs
    }

    /// This epoch's batches: shuffled strided windows, or songs grouped by length.
    fn plan_epoch(&mut self, data: TrainData<'_>) -> Vec<Vec<usize>> {
        let batch = self.config.batch_size;
        match data {
            TrainData::Windows(windows) => {
                let stride = self.config.stride.max(1);
                let phase = self.rng.random_range(0..stride);
                let mut order = windows.strided(&self.candidates, stride, phase);
                order.shuffle(&mut self.rng);
                order.chunks(batch).map(<[usize]>::to_vec).collect()
            }
            TrainData::Songs(set) => {
                songs::epoch_batches(set, &self.candidates, batch, &mut self.rng)
            }
        }
    }

    /// Trains on one batch; evaluates at epoch ends (and every `eval_every` steps).
    pub async fn step(&mut self, data: TrainData<'_>) -> Result<Progress, String> {
        if self.is_finished() {
            return Err("training has already finished".into());
        }
        if self.cursor == 0 {
            self.plan = self.plan_epoch(data);
        }
        let chunk = self.plan[self.cursor].clone();
        let (train_loss, seen) = match data {
            TrainData::Windows(windows) => (self.window_step(windows, &chunk).await?, chunk.len()),
            TrainData::Songs(set) => self.song_step(set, &chunk).await?,
        };
        self.seen += seen;
        self.cursor += 1;
        self.step += 1;
        let epoch_done = self.cursor == self.plan.len();
        let eval_due = self
            .config
            .eval_every
            .is_some_and(|n| n > 0 && self.step.is_multiple_of(n));
        let valid = if epoch_done && self.averaging() {
            let mean = self.fold_into_average()?;
            Some(self.validate(data, mean).await?)
        } else if epoch_done || eval_due {
            let model = self.model.as_ref().ok_or("no model")?.valid();
            Some(self.validate(data, model).await?)
        } else {
            None
        };
        let step_in_epoch = self.cursor;
        let epoch = self.epoch + 1;
        if epoch_done {
            self.epoch += 1;
            self.cursor = 0;
            self.learning_rate *= self.config.lr_decay;
        }
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-9);
        let steps_left = (self.config.epochs - self.epoch) * self.plan.len() - self.cursor;
        Ok(Progress {
            epoch,
            epochs: self.config.epochs,
            step_in_epoch,
            steps_per_epoch: self.plan.len(),
            step: self.step,
            train_loss,
            valid,
            rate: self.seen as f64 / elapsed,
            rate_unit: match data {
                TrainData::Windows(_) => "windows",
                TrainData::Songs(_) => "tokens",
            }
            .into(),
            eta_s: steps_left as f64 * elapsed / self.step as f64,
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

    /// One optimizer step on a batch of windows; returns the loss.
    async fn window_step(&mut self, windows: &Windows, chunk: &[usize]) -> Result<f64, String> {
        let model = self.take_model()?;
        let loss = self.window_loss(&model, windows, chunk);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optim.step(self.learning_rate, model, grads));
        readback::scalar(loss).await
    }

    /// Trains on a batch of whole songs, one optimizer step per chunk with the state carried
    /// (and detached) between chunks. Returns the mean loss per target and the targets.
    async fn song_step(
        &mut self,
        set: &[SongSeq],
        batch: &[usize],
    ) -> Result<(f64, usize), String> {
        let mut state: Option<State> = None;
        let (mut nats, mut targets) = (0.0, 0);
        let scale = match self.config.weighting {
            Weighting::PerChunk => None,
            Weighting::PerTarget => Some(songs::targets_per_batch(
                set,
                &self.candidates,
                self.config.batch_size,
            )),
        };
        for piece in songs::chunks(set, batch, 1, self.config.context.chunk()) {
            let model = self.take_model()?;
            let (ids, inputs) = batch::chunk_inputs(&piece, &self.device);
            let (logits, next) = model.forward(ids, inputs, state.take());
            if piece.continues {
                state = Some(next.detach());
            }
            let loss = masked_loss(logits, &piece, scale, &self.device);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            self.model = Some(self.optim.step(self.learning_rate, model, grads));
            let count = piece.targets_count();
            nats += readback::scalar(loss).await? * scale.unwrap_or(count as f64);
            targets += count;
        }
        Ok((nats / targets.max(1) as f64, targets))
    }

    /// Whether the epoch now ending is one whose weights are averaged.
    fn averaging(&self) -> bool {
        self.config
            .average_last
            .is_some_and(|last| self.epoch + last >= self.config.epochs)
    }

    /// Adds the weights as they are to the average and returns it, in validation mode.
    fn fold_into_average(&mut self) -> Result<MelodyModel, String> {
        let model = self.model.as_ref().ok_or("no model")?.valid();
        let (mean, count) = match self.average.take() {
            None => (model, 1),
            Some((mean, count)) => (average::fold_in(mean, &model, count), count + 1),
        };
        self.average = Some((mean.clone(), count));
        Ok(mean)
    }

    fn take_model(&mut self) -> Result<MelodyModel, String> {
        self.model
            .take()
            .ok_or_else(|| "the model was lost in an earlier failed step".to_string())
    }

    fn window_loss(
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
                let (logits, _) = model.forward(inputs, None, None);
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

    /// Measures `model` (in validation mode) on the validation data and keeps it if it is the
    /// best so far.
    async fn validate(
        &mut self,
        data: TrainData<'_>,
        model: MelodyModel,
    ) -> Result<Metrics, String> {
        let plain = self.device.clone().inner();
        let metrics = match data {
            TrainData::Windows(windows) => {
                let hold = self
                    .vocab
                    .id(crate::encoding::grid::Token::Hold)
                    .unwrap_or(u32::MAX);
                evaluate(&model, windows, &self.valid, hold, 256, &plain).await?
            }
            TrainData::Songs(set) => {
                let songs = evaluate_songs(
                    &[&model],
                    set,
                    &self.valid,
                    &self.vocab,
                    self.config.context,
                    64,
                    &plain,
                )
                .await?;
                Metrics::from(songs)
            }
        };
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

/// Cross-entropy summed over the real targets of a chunk (padding has weight 0) and divided by
/// `scale` ([`Weighting::PerTarget`]: the mean number of targets in a batch) or, without one,
/// by the chunk's own count of targets ([`Weighting::PerChunk`]).
fn masked_loss(
    logits: burn::tensor::Tensor<3>,
    piece: &songs::SongChunk,
    scale: Option<f64>,
    device: &Device,
) -> burn::tensor::Tensor<1> {
    let [rows, len, vocab] = logits.dims();
    let n = rows * len;
    let picked = burn::tensor::activation::log_softmax(logits.reshape([n, vocab]), 1)
        .gather(1, batch::ids(&piece.targets, device).reshape([n, 1]))
        .reshape([n]);
    let weights = batch::floats(&piece.weights, device);
    let scale = scale.unwrap_or_else(|| piece.targets_count() as f64);
    (picked * weights).sum().neg().div_scalar(scale.max(1.0))
}
