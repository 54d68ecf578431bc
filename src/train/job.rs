//! One whole training run on a corpus, as the command line and the page's worker drive it:
//! the corpus's id sequences (re-encoded in a starting model's vocabulary when fine-tuning),
//! the song split, the [`Trainer`], checkpoints as model files, and the final test metrics.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use web_time::{Instant, SystemTime, UNIX_EPOCH};

use super::{Metrics, Progress, TrainConfig, Trainer, evaluate};
use crate::backend::CpuBackend;
use crate::corpus::Corpus;
use crate::data::{Dataset, SEQUENCE_LEN, SplitConfig};
use crate::encoding::grid::{GridConfig, Token};
use crate::encoding::vocab::Vocab;
use crate::model::file::{self, ModelHeader, TrainingInfo};
use crate::model::{MelodyModel, ModelConfig, transfer};

/// The network's shape for a fresh model (the vocabulary comes from the corpus).
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
}

impl Default for Shape {
    /// The seed's: one layer of 128, embedding as wide as the vocabulary, dropout 0.2.
    fn default() -> Self {
        Self {
            hidden: 128,
            layers: 1,
            embedding: None,
            dropout: 0.2,
        }
    }
}

impl Shape {
    /// The model config for a vocabulary of `vocab_size` tokens.
    pub fn config(&self, vocab_size: usize) -> ModelConfig {
        ModelConfig {
            vocab_size,
            embedding_dim: self.embedding.unwrap_or(vocab_size),
            hidden: self.hidden,
            layers: self.layers,
            dropout: self.dropout,
        }
    }
}

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
    /// Windows of each part.
    pub train_windows: usize,
    /// Validation windows.
    pub valid_windows: usize,
    /// Test windows.
    pub test_windows: usize,
    /// Optimizer steps per epoch.
    pub steps_per_epoch: usize,
    /// Parameters of the network.
    pub params: usize,
}

/// A training run in progress.
pub struct Job {
    spec: JobSpec,
    header: ModelHeader,
    dataset: Dataset,
    trainer: Trainer,
    hold: u32,
    device: Device,
    skipped: Vec<Skipped>,
    songs: usize,
    seconds: f64,
}

impl Job {
    /// Prepares a run on `corpus`: a fresh network of `spec.shape`, or `base` (a loaded model
    /// file) to fine-tune. When fine-tuning, the corpus is re-encoded in the base model's
    /// vocabulary and songs with a token it does not know are skipped (listed in
    /// [`Job::skipped`]): new tokens would need new embedding and output rows that the base
    /// model never learnt, so they are left out rather than guessed.
    pub fn new(
        corpus: &Corpus,
        spec: JobSpec,
        base: Option<(ModelHeader, MelodyModel)>,
        device: &Device,
    ) -> Result<Job, String> {
        let mut skipped = Vec::new();
        let (vocab, config, ids, model) = match base {
            None => {
                let ids: Vec<Vec<u32>> = corpus.songs.iter().map(|s| s.ids.clone()).collect();
                let config = spec.shape.config(corpus.vocab.len());
                (corpus.vocab.clone(), config, ids, None)
            }
            Some((header, model)) => {
                if header.grid != spec.grid {
                    return Err(format!(
                        "the model '{}' was trained on another encoding (step or transposition) than this corpus",
                        header.name
                    ));
                }
                let mut ids = Vec::new();
                for song in &corpus.songs {
                    match header.vocab.encode(&song.tokens) {
                        Ok(song_ids) => ids.push(song_ids),
                        Err(_) => skipped.push(Skipped {
                            song: song.song.id.clone(),
                            reason: unknown_tokens(&header.vocab, &song.tokens),
                        }),
                    }
                }
                (header.vocab, header.config, ids, Some(model))
            }
        };
        if ids.len() < 3 {
            return Err(format!(
                "{} songs can be trained on; at least 3 are needed (for training, validation and test)",
                ids.len()
            ));
        }
        config.validate()?;
        let dataset = Dataset::new(&ids, SEQUENCE_LEN, &spec.split);
        let hold = vocab.id(Token::Hold).unwrap_or(u32::MAX);
        let (train, valid) = (dataset.split.train.clone(), dataset.split.valid.clone());
        let trainer = match model {
            None => Trainer::new(&config, spec.train.clone(), train, valid, hold, device),
            Some(model) => {
                Trainer::from_model(model, spec.train.clone(), train, valid, hold, device)
            }
        }?;
        let header = ModelHeader {
            name: spec.name.clone(),
            config,
            vocab,
            grid: spec.grid,
            training: TrainingInfo {
                corpus: spec.corpus_name.clone(),
                songs: ids.len(),
                config: spec.train.clone(),
                split: spec.split,
                valid: None,
                test: None,
                training_seconds: 0.0,
                created_unix_s: 0,
            },
        };
        Ok(Job {
            spec,
            header,
            dataset,
            trainer,
            hold,
            device: device.clone(),
            skipped,
            songs: ids.len(),
            seconds: 0.0,
        })
    }

    /// Songs left out (fine-tuning only), with the reason.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The run's sizes.
    pub fn sizes(&self) -> JobSizes {
        JobSizes {
            songs: self.songs,
            train_windows: self.dataset.split.train.len(),
            valid_windows: self.dataset.split.valid.len(),
            test_windows: self.dataset.split.test.len(),
            steps_per_epoch: self.trainer.steps_per_epoch(),
            params: self.header.config.num_params(),
        }
    }

    /// What is being trained.
    pub fn spec(&self) -> &JobSpec {
        &self.spec
    }

    /// Whether every epoch has run.
    pub fn is_finished(&self) -> bool {
        self.trainer.is_finished()
    }

    /// Seconds spent in [`Job::step`] so far (pauses excluded).
    pub fn training_seconds(&self) -> f64 {
        self.seconds
    }

    /// Trains one batch (see [`Trainer::step`]).
    pub async fn step(&mut self) -> Result<Progress, String> {
        let started = Instant::now();
        let progress = self.trainer.step(&self.dataset.windows).await;
        self.seconds += started.elapsed().as_secs_f64();
        progress
    }

    /// Test metrics of the current weights (for curves of test NLL against time).
    pub async fn test_current(&self) -> Result<Metrics, String> {
        let model = self.trainer.current_model().ok_or("no model")?;
        self.test(&model).await
    }

    /// The current weights as a model file (for a sample of what the model has learnt so far).
    pub async fn current_file(&self) -> Result<Vec<u8>, String> {
        let model = self.trainer.current_model().ok_or("no model")?;
        self.file(&model, None).await
    }

    /// The best weights so far as a model file, with their validation metrics (a checkpoint
    /// that stays usable if the run is interrupted).
    pub async fn best_file(&self) -> Result<Vec<u8>, String> {
        let model = self.trainer.best_model().ok_or("no model")?;
        self.file(&model, None).await
    }

    /// Measures the best weights on the test songs and returns them as a model file, with the
    /// test metrics.
    pub async fn finish(&self) -> Result<(Vec<u8>, Metrics), String> {
        let model = self
            .trainer
            .best_model()
            .ok_or("training produced no model")?;
        let test = self.test(&model).await?;
        Ok((self.file(&model, Some(test)).await?, test))
    }

    async fn test(&self, model: &MelodyModel) -> Result<Metrics, String> {
        let split = &self.dataset.split;
        evaluate(
            model,
            &self.dataset.windows,
            &split.test,
            self.hold,
            256,
            &self.device,
        )
        .await
    }

    async fn file(&self, model: &MelodyModel, test: Option<Metrics>) -> Result<Vec<u8>, String> {
        let mut header = self.header.clone();
        header.training.valid = self.trainer.best_metrics();
        header.training.test = test;
        header.training.training_seconds = self.seconds;
        header.training.created_unix_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let cpu = CpuBackend::default().device();
        let model = transfer::to_device(model, &cpu).await?;
        file::save(&header, &model).map_err(|e| e.to_string())
    }
}

/// "has tokens the model does not know: 98, 99".
fn unknown_tokens(vocab: &Vocab, tokens: &[Token]) -> String {
    let mut unknown: Vec<String> = tokens
        .iter()
        .filter(|t| vocab.id(**t).is_none())
        .map(ToString::to_string)
        .collect();
    unknown.sort();
    unknown.dedup();
    format!(
        "has tokens the starting model does not know: {}",
        unknown.join(", ")
    )
}
