//! One whole training run on a corpus, as the command line and the page's worker drive it:
//! the corpus's id sequences (re-encoded in a starting model's vocabulary when fine-tuning),
//! the song split, the [`Trainer`], checkpoints as model files, and the final test metrics.

use burn::tensor::Device;
use web_time::{Instant, SystemTime, UNIX_EPOCH};

use super::{JobSizes, JobSpec, Metrics, Progress, Skipped, Start, TrainData, Trainer};
use crate::backend::CpuBackend;
use crate::corpus::opening;
use crate::corpus::{Corpus, EncodedSong};
use crate::data::{Conditioning, SongSeq, SongSplit, Windows, split_songs};
use crate::encoding::grid::Token;
use crate::encoding::vocab::Vocab;
use crate::eval::{SongMetrics, evaluate, evaluate_songs};
use crate::generate::{CalibrationFit, fit_calibration};
use crate::model::{MelodyModel, transfer};
use crate::model_file::{self, ModelHeader, TrainingInfo};
use crate::recipe::{CalibrationRounds, Context};
use crate::stats::{Melody, REFERENCE_DIGITS, REFERENCE_SONGS, Reference};

/// A training run in progress.
pub struct Job {
    spec: JobSpec,
    header: ModelHeader,
    /// The songs read whole: what the whole-song recipe trains on, and the whole-song test
    /// metrics of either recipe.
    songs: Vec<SongSeq>,
    /// The window recipe's windows and test windows (none for whole songs).
    windows: Option<(Windows, Vec<usize>)>,
    parts: SongSplit,
    trainer: Trainer,
    device: Device,
    skipped: Vec<Skipped>,
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
        mut spec: JobSpec,
        base: Option<(ModelHeader, MelodyModel)>,
        device: &Device,
    ) -> Result<Job, String> {
        // A model goes on reading songs the way it learnt to.
        if let Some((header, _)) = &base {
            spec.train.context = header.context();
        }
        let mut skipped = Vec::new();
        let mut kept: Vec<(&EncodedSong, Vec<u32>)> = Vec::new();
        let vocab = match &base {
            None => {
                kept.extend(corpus.songs.iter().map(|s| (s, s.ids.clone())));
                corpus.vocab.clone()
            }
            Some((header, _)) => {
                if header.grid != spec.grid {
                    return Err(format!(
                        "the model '{}' was trained on another encoding (step or transposition) than this corpus",
                        header.name
                    ));
                }
                for song in &corpus.songs {
                    match header.vocab.encode(&song.tokens) {
                        Ok(ids) => kept.push((song, ids)),
                        Err(_) => skipped.push(Skipped {
                            song: song.song.id.clone(),
                            reason: unknown_tokens(&header.vocab, &song.tokens),
                        }),
                    }
                }
                header.vocab.clone()
            }
        };
        if kept.len() < 3 {
            return Err(format!(
                "{} songs can be trained on; at least 3 are needed (for training, validation and test)",
                kept.len()
            ));
        }
        let openings: Vec<u64> = kept.iter().map(|(s, _)| opening(&s.tokens)).collect();
        let parts = split_songs(&openings, &spec.split);
        if parts.train.is_empty() || parts.valid.is_empty() || parts.test.is_empty() {
            return Err(format!(
                "the songs cannot be split into training, validation and test: {} / {} / {} songs (songs that share their opening stay together)",
                parts.train.len(),
                parts.valid.len(),
                parts.test.len()
            ));
        }
        let config = match &base {
            Some((header, _)) => header.config.clone(),
            None => {
                let conditioning = Conditioning::from_songs(
                    parts.train.iter().map(|&i| &kept[i].0.song),
                    spec.grid.step,
                    spec.shape.inputs,
                );
                let whole_songs = matches!(spec.train.context, Context::WholeSong { .. });
                spec.shape
                    .config(vocab.len(), Some(conditioning).filter(|_| whole_songs))
            }
        };
        config.validate()?;
        let songs: Vec<SongSeq> = kept
            .iter()
            .map(|(song, ids)| SongSeq {
                inputs: config.conditioning.as_ref().map_or_else(Vec::new, |c| {
                    c.song_inputs(&song.song, spec.grid.step, &song.tokens)
                }),
                ids: ids.clone(),
            })
            .collect();
        let (windows, train, valid) = match spec.train.context {
            Context::WholeSong { .. } => (None, parts.train.clone(), parts.valid.clone()),
            Context::Window { len } => {
                let ids: Vec<&[u32]> = kept.iter().map(|(_, ids)| ids.as_slice()).collect();
                let windows = Windows::new(&ids, len);
                let expand = |part: &[usize]| -> Vec<usize> {
                    part.iter()
                        .flat_map(|&s| windows.windows_of_song(s))
                        .collect()
                };
                let (train, valid, test) = (
                    expand(&parts.train),
                    expand(&parts.valid),
                    expand(&parts.test),
                );
                (Some((windows, test)), train, valid)
            }
        };
        let start = match base {
            None => Start::Fresh(config.clone()),
            Some((_, model)) => Start::From(Box::new(model)),
        };
        let trainer = Trainer::new(
            start,
            spec.train.clone(),
            train,
            valid,
            vocab.clone(),
            device,
        )?;
        let header = ModelHeader {
            name: spec.name.clone(),
            config,
            vocab,
            grid: spec.grid,
            training: TrainingInfo {
                corpus: spec.corpus_name.clone(),
                songs: kept.len(),
                config: spec.train.clone(),
                split: spec.split,
                valid: None,
                test: None,
                test_songs: None,
                reference: Some(reference_of(&kept, &parts, spec.grid.step)),
                training_seconds: 0.0,
                created_unix_s: 0,
            },
            ends: None,
            new_pitches: None,
            forms: None,
        };
        Ok(Job {
            spec,
            header,
            songs,
            windows,
            parts,
            trainer,
            device: device.clone(),
            skipped,
            seconds: 0.0,
        })
    }

    /// Songs left out (fine-tuning only), with the reason.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The run's sizes.
    pub fn sizes(&self) -> JobSizes {
        // A song of n tokens has n + 1 targets: as many windows, or as many whole-song steps.
        let train_units = self
            .parts
            .train
            .iter()
            .map(|&s| self.songs[s].steps())
            .sum();
        let unit = if self.windows.is_some() {
            "windows"
        } else {
            "tokens"
        };
        JobSizes {
            songs: self.songs.len(),
            train_songs: self.parts.train.len(),
            valid_songs: self.parts.valid.len(),
            test_songs: self.parts.test.len(),
            train_units,
            unit: unit.into(),
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
        let data = match &self.windows {
            Some((windows, _)) => TrainData::Windows(windows),
            None => TrainData::Songs(&self.songs),
        };
        let progress = self.trainer.step(data).await;
        self.seconds += started.elapsed().as_secs_f64();
        progress
    }

    /// Whole-song test metrics of the current weights (for curves of test NLL against time).
    pub async fn test_current(&self) -> Result<SongMetrics, String> {
        let model = self.trainer.current_model().ok_or("no model")?;
        self.test_songs(&model).await
    }

    /// The current weights as a model file (for a sample of what the model has learnt so far).
    pub async fn current_file(&self) -> Result<Vec<u8>, String> {
        let model = self.trainer.current_model().ok_or("no model")?;
        self.checkpoint(&model).await
    }

    /// The best weights so far as a model file, with their validation metrics (a checkpoint
    /// that stays usable if the run is interrupted).
    pub async fn best_file(&self) -> Result<Vec<u8>, String> {
        let model = self.trainer.best_model().ok_or("no model")?;
        self.checkpoint(&model).await
    }

    /// Measures the best weights on the test songs (whole songs, and the tutorial's windows for a
    /// window model), fits a conditioned model's calibrations of writing (the end's
    /// teacher-forced on the validation songs, then it and the one of new pitches with the
    /// rounds of tunes `calibration_rounds` asks for), and returns them as a model file, with
    /// the test metrics.
    pub async fn finish(
        &self,
        calibration_rounds: CalibrationRounds,
    ) -> Result<(Vec<u8>, SongMetrics, Option<Metrics>), String> {
        let model = self
            .trainer
            .best_model()
            .ok_or("training produced no model")?;
        let songs = self.test_songs(&model).await?;
        let windows = match &self.windows {
            Some((windows, test)) => {
                let hold = self.header.vocab.id(Token::Hold).unwrap_or(u32::MAX);
                Some(evaluate(&model, windows, test, hold, 256, &self.device).await?)
            }
            None => None,
        };
        let mut header = self.header.clone();
        let cpu = CpuBackend::default().device();
        let model = transfer::to_device(&model, &cpu).await?;
        if let Some(fit) = self
            .fit_calibration(&header, &model, calibration_rounds)
            .await?
        {
            header.ends = Some(fit.ends);
            header.new_pitches = fit.new_pitches;
            header.forms = fit.forms;
        }
        let bytes = self.file(header, &model, Some(songs), windows)?;
        Ok((bytes, songs, windows))
    }

    /// The calibrations of the end and of new pitches of a conditioned model, fitted on the
    /// CPU (none for an unconditioned one, whose tunes have no mode, or without validation
    /// songs).
    async fn fit_calibration(
        &self,
        header: &ModelHeader,
        model: &MelodyModel,
        calibration_rounds: CalibrationRounds,
    ) -> Result<Option<CalibrationFit>, String> {
        if header.config.conditioning.is_none() || self.parts.valid.is_empty() {
            return Ok(None);
        }
        let weights = model.weights(&header.config)?;
        let fit = fit_calibration(
            &weights,
            header.writing(),
            &self.songs,
            &self.parts,
            calibration_rounds,
        );
        Ok(Some(fit.await?))
    }

    async fn test_songs(&self, model: &MelodyModel) -> Result<SongMetrics, String> {
        evaluate_songs(
            &[model],
            &self.songs,
            &self.parts.test,
            &self.header.vocab,
            self.header.context(),
            64,
            &self.device,
        )
        .await
    }

    /// `model` as a file with `header`, the best validation metrics and the test metrics.
    fn file(
        &self,
        mut header: ModelHeader,
        model: &MelodyModel,
        test_songs: Option<SongMetrics>,
        test: Option<Metrics>,
    ) -> Result<Vec<u8>, String> {
        header.training.valid = self.trainer.best_metrics();
        header.training.test = test;
        header.training.test_songs = test_songs;
        header.training.training_seconds = self.seconds;
        header.training.created_unix_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        model_file::save(&header, model).map_err(|e| e.to_string())
    }

    /// `model` (on any device) as a checkpoint file, without test metrics.
    async fn checkpoint(&self, model: &MelodyModel) -> Result<Vec<u8>, String> {
        let cpu = CpuBackend::default().device();
        let model = transfer::to_device(model, &cpu).await?;
        self.file(self.header.clone(), &model, None, None)
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

/// The statistics of the held-out songs (test songs first, then validation songs, at most
/// [`REFERENCE_SONGS`]) that the model file carries for comparisons.
fn reference_of(
    kept: &[(&EncodedSong, Vec<u32>)],
    parts: &SongSplit,
    step: crate::encoding::grid::Step,
) -> Reference {
    let songs: Vec<Melody> = parts
        .test
        .iter()
        .chain(&parts.valid)
        .take(REFERENCE_SONGS)
        .map(|&i| Melody::from_song(&kept[i].0.song, &kept[i].0.tokens, step))
        .collect();
    Reference::new(&songs, Some(REFERENCE_DIGITS))
}
