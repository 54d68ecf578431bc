//! The page's side of journey two: starts the training worker ([`crate::app::worker`]), sends it
//! the uploaded files and training requests, and turns its events into signals for the
//! corpus, training and model panels. Checkpoints and finished models go to IndexedDB here.

use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

use super::browser::{self, clock_ms};
use super::files;
use super::model_store;
use crate::app::protocol::{self, Estimate, Event, Message, Request};
use crate::app::state::{AppState, Startup};
use crate::backend::{BackendInfo, CpuBackend};
use crate::corpus::report::CorpusReport;
use crate::generate::{GenerateConfig, write_tune};
use crate::model_file;
use crate::settings::SEED;
use crate::stats::Comparison;
use crate::train::{JobSizes, JobSpec, Progress, Skipped, SongMetrics};
use crate::tune::{Provenance, Tune};

#[wasm_bindgen(module = "/src/app/js/training.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn spawn_worker() -> Result<Worker, JsValue>;
}

/// Uploads larger than this are refused before reading: the page keeps the bytes, the parsed
/// songs and the model within its memory budget (512 MB) up to this size.
pub const MAX_UPLOAD_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// Grid steps of the short tune written after each epoch.
const SAMPLE_LEN: usize = 96;

/// The uploaded corpus.
#[derive(Clone, Debug)]
pub enum CorpusState {
    /// Nothing chosen yet.
    Empty,
    /// Reading the chosen files from disk.
    Reading {
        /// Files read.
        done: usize,
        /// Files chosen.
        total: usize,
    },
    /// The worker is parsing.
    Parsing {
        /// Files parsed.
        done: usize,
        /// Files in all.
        total: usize,
    },
    /// Parsed: the report.
    Ready(Rc<CorpusReport>),
    /// Refused or failed, with the reason.
    Failed(String),
}

/// A comparison of written tunes with the held-out songs.
#[derive(Clone, Debug, Default)]
pub enum CompareState {
    /// None asked for.
    #[default]
    Idle,
    /// Writing the tunes.
    Writing {
        /// Tunes written.
        done: usize,
        /// Tunes to write.
        total: usize,
    },
    /// Ready.
    Ready(std::sync::Arc<Comparison>),
    /// Why there is none.
    Failed(String),
}

/// The training run.
#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    /// Nothing running.
    Idle,
    /// Timing a few steps.
    Calibrating,
    /// Training (possibly paused).
    Training {
        /// Whether it waits.
        paused: bool,
    },
    /// Stopping after the current step.
    Stopping,
    /// Training is over: measuring the model on its test songs and fitting where its tunes end.
    Finishing,
    /// Failed, with the message.
    Failed(String),
}

/// What a run prepared.
#[derive(Clone, Debug, PartialEq)]
pub struct Started {
    /// The device.
    pub backend: String,
    /// Songs, windows, steps.
    pub sizes: JobSizes,
    /// Songs skipped for fine-tuning.
    pub skipped: Vec<Skipped>,
}

/// Loss curves: `(epochs done, loss)` points.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curves {
    /// Training loss of each reported step.
    pub train: Vec<(f64, f64)>,
    /// Validation loss at each evaluation.
    pub valid: Vec<(f64, f64)>,
}

/// A short tune written by the model after an epoch (0: before training).
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Epochs done when it was written.
    pub epoch: usize,
    /// The tune.
    pub tune: Tune,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Whole-song test metrics of the kept weights.
    pub test: SongMetrics,
    /// Stopped early by the user.
    pub stopped: bool,
    /// Seconds of training.
    pub seconds: f64,
    /// Id of the saved model.
    pub model_id: String,
    /// Its name.
    pub name: String,
}

/// Everything the training panels share (a Leptos context).
#[derive(Clone, Copy)]
pub struct Training {
    worker: StoredValue<Option<Worker>, LocalStorage>,
    ready: RwSignal<bool>,
    queue: StoredValue<Vec<Message>, LocalStorage>,
    job_id: StoredValue<Option<(String, String)>>,
    /// The uploaded corpus.
    pub corpus: RwSignal<CorpusState, LocalStorage>,
    /// The run.
    pub run: RwSignal<RunState>,
    /// What the last run prepared.
    pub started: RwSignal<Option<Started>>,
    /// The last calibration's estimates, the CPU first (none before one has run).
    pub calibration: RwSignal<Vec<Estimate>>,
    /// The last step's figures and the worker's memory in bytes.
    pub progress: RwSignal<Option<(Progress, f64)>>,
    /// Loss curves of the current run.
    pub curves: RwSignal<Curves>,
    /// Sample tunes of the current run.
    pub samples: RwSignal<Vec<Sample>>,
    /// The last run's outcome.
    pub outcome: RwSignal<Option<Outcome>>,
    /// The comparison panel's state.
    pub comparison: RwSignal<CompareState>,
    /// The corpus song shown in the upload report: its index among the accepted songs and
    /// the song, once the worker has sent it.
    pub shown: RwSignal<Option<(usize, crate::song::Song)>>,
    /// Longest gap between two ticks of a 50 ms timer on the page's main thread while
    /// training (how long the page could not respond), in milliseconds.
    pub longest_stall_ms: RwSignal<f64>,
}

impl Training {
    /// Fresh state; the worker starts on first use.
    pub fn new() -> Training {
        let training = Training {
            worker: StoredValue::new_local(None),
            ready: RwSignal::new(false),
            queue: StoredValue::new_local(Vec::new()),
            job_id: StoredValue::new(None),
            corpus: RwSignal::new_local(CorpusState::Empty),
            run: RwSignal::new(RunState::Idle),
            started: RwSignal::new(None),
            calibration: RwSignal::new(Vec::new()),
            progress: RwSignal::new(None),
            curves: RwSignal::new(Curves::default()),
            samples: RwSignal::new(Vec::new()),
            outcome: RwSignal::new(None),
            shown: RwSignal::new(None),
            comparison: RwSignal::new(CompareState::Idle),
            longest_stall_ms: RwSignal::new(0.0),
        };
        training.watch_stalls();
        training
    }

    /// Whether a calibration or training is under way.
    pub fn busy(&self) -> bool {
        matches!(
            self.run.get(),
            RunState::Calibrating
                | RunState::Training { .. }
                | RunState::Stopping
                | RunState::Finishing
        )
    }

    /// Reads `files` and sends them to the worker to parse.
    pub async fn upload(&self, app: AppState, files: files::Chosen) {
        if files.is_empty() {
            return;
        }
        let total_bytes = files.total_bytes();
        if total_bytes > MAX_UPLOAD_BYTES {
            self.corpus.set(CorpusState::Failed(format!(
                "These files hold {:.0} MB; Melodeon reads at most {:.0} MB at once in the page, \
                 to stay within the browser's memory. Choose fewer files.",
                total_bytes / 1e6,
                MAX_UPLOAD_BYTES / 1e6
            )));
            return;
        }
        let total = files.len();
        let corpus = self.corpus;
        let read = files
            .read(move |done| corpus.set(CorpusState::Reading { done, total }))
            .await;
        self.corpus.set(CorpusState::Parsing { done: 0, total });
        self.shown.set(None);
        self.send(app, Message::new(&Request::Ingest).with_packed_files(&read));
    }

    /// Asks the worker to write tunes with the model file `model` and compare them with its
    /// held-out songs (`request`: a [`Request::Compare`]); `copies` is the index of its
    /// training songs when it ships with one.
    pub fn compare(&self, app: AppState, model: &[u8], copies: Option<&[u8]>, request: Request) {
        self.comparison
            .set(CompareState::Writing { done: 0, total: 0 });
        let message = Message::new(&request).with_bytes("model", model);
        let message = match copies {
            Some(copies) => message.with_bytes("copies", copies),
            None => message,
        };
        self.send(app, message);
    }

    /// Starts the worker, its device and the start-up check, for the status bar.
    pub fn check_device(&self, app: AppState, force_cpu: bool) {
        self.send(app, Message::new(&Request::Check { force_cpu }));
    }

    /// Asks the worker for accepted song `index` of the corpus, to show it.
    pub fn show_song(&self, app: AppState, index: usize) {
        self.send(app, Message::new(&Request::Song { index }));
    }

    /// Times a few steps of `spec` on the CPU and, unless `force_cpu` (the user's setting), on
    /// WebGPU where it starts.
    pub fn calibrate(
        &self,
        app: AppState,
        spec: JobSpec,
        base: Option<Arc<Vec<u8>>>,
        force_cpu: bool,
    ) {
        self.run.set(RunState::Calibrating);
        self.calibration.set(Vec::new());
        let message = Message::new(&Request::Calibrate { spec, force_cpu });
        self.send(app, with_base(message, base));
    }

    /// Starts training `spec` (from `base` when fine-tuning; on the CPU when `force_cpu`).
    pub fn train(&self, app: AppState, spec: JobSpec, base: Option<Arc<Vec<u8>>>, force_cpu: bool) {
        self.run.set(RunState::Training { paused: false });
        self.job_id
            .set_value(Some((model_store::new_id(), spec.name.clone())));
        self.curves.set(Curves::default());
        self.samples.set(Vec::new());
        self.outcome.set(None);
        self.progress.set(None);
        self.longest_stall_ms.set(0.0);
        let message = Message::new(&Request::Train { spec, force_cpu });
        self.send(app, with_base(message, base));
    }

    /// Pauses or resumes.
    pub fn pause(&self, app: AppState, pause: bool) {
        let request = if pause {
            Request::Pause
        } else {
            Request::Resume
        };
        self.send(app, Message::new(&request));
    }

    /// Stops after the current step; the best weights so far are kept and tested.
    pub fn stop(&self, app: AppState) {
        self.run.set(RunState::Stopping);
        self.send(app, Message::new(&Request::Stop));
    }

    fn send(&self, app: AppState, message: Message) {
        if self.worker.with_value(Option::is_none) {
            self.start_worker(app);
        }
        if self.ready.get_untracked() {
            self.post(&message);
        } else {
            self.queue.update_value(|q| q.push(message));
        }
    }

    fn post(&self, message: &Message) {
        self.worker.with_value(|worker| {
            if let Some(worker) = worker
                && let Err(err) =
                    worker.post_message_with_transfer(&message.object, &message.transfer)
            {
                self.fail(format!(
                    "could not reach the training worker: {}",
                    browser::describe(err)
                ));
            }
        });
    }

    fn start_worker(&self, app: AppState) {
        let worker = match spawn_worker() {
            Ok(worker) => worker,
            Err(err) => {
                return self.fail(format!(
                    "the training worker could not start: {}",
                    browser::describe(err)
                ));
            }
        };
        let training = *self;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            training.receive(app, event.data());
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(
            move |event: web_sys::ErrorEvent| {
                training.worker.set_value(None);
                training.ready.set(false);
                let message = format!(
                    "the training worker stopped unexpectedly ({}); saved models and checkpoints are kept",
                    event.message()
                );
                // The start-up check runs in the worker too: the status bar must not wait on.
                if app.startup.get_untracked() == Startup::Starting {
                    app.startup.set(Startup::Failed {
                        info: BackendInfo::Cpu {
                            backend: CpuBackend::default(),
                            reason: "the worker did not start".into(),
                        },
                        error: message.clone(),
                    });
                }
                training.fail(message);
            },
        );
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        self.worker.set_value(Some(worker));
    }

    fn fail(&self, message: String) {
        if matches!(
            self.corpus.get_untracked(),
            CorpusState::Reading { .. } | CorpusState::Parsing { .. }
        ) {
            self.corpus.set(CorpusState::Failed(message));
        } else {
            self.run.set(RunState::Failed(message));
        }
    }

    fn receive(&self, app: AppState, data: JsValue) {
        let event = match protocol::body::<Event>(&data) {
            Ok(event) => event,
            Err(message) => return self.fail(message),
        };
        match event {
            Event::Ready => {
                self.ready.set(true);
                for message in self
                    .queue
                    .try_update_value(std::mem::take)
                    .unwrap_or_default()
                {
                    self.post(&message);
                }
            }
            Event::Reading { done, total } => self.corpus.set(CorpusState::Parsing { done, total }),
            Event::Report { report } => self.corpus.set(CorpusState::Ready(Rc::new(report))),
            Event::Song { index, song } => self.shown.set(Some((index, song))),
            Event::Checked { info, outcome } => app.startup.set(match outcome {
                Ok(values) => Startup::Ready {
                    info,
                    values,
                    millis: browser::clock_ms(),
                },
                Err(error) => Startup::Failed { info, error },
            }),
            Event::Comparing { done, total } => {
                self.comparison.set(CompareState::Writing { done, total })
            }
            Event::Compared { comparison } => self
                .comparison
                .set(CompareState::Ready(std::sync::Arc::new(*comparison))),
            Event::NotCompared { message } => self.comparison.set(CompareState::Failed(message)),
            Event::Started {
                backend,
                sizes,
                skipped,
            } => self.started.set(Some(Started {
                backend,
                sizes,
                skipped,
            })),
            Event::Calibrated { estimates } => {
                self.calibration.set(estimates);
                self.run.set(RunState::Idle);
            }
            Event::Step {
                progress,
                memory_bytes,
            } => {
                let x = (progress.epoch - 1) as f64
                    + progress.step_in_epoch as f64 / progress.steps_per_epoch.max(1) as f64;
                self.curves.update(|c| {
                    c.train.push((x, progress.train_loss));
                    if let Some(valid) = progress.valid {
                        c.valid.push((x, valid.nll));
                    }
                });
                self.progress.set(Some((progress, memory_bytes)));
            }
            Event::Paused { paused } => {
                if matches!(self.run.get_untracked(), RunState::Training { .. }) {
                    self.run.set(RunState::Training { paused });
                }
            }
            Event::Epoch { epoch, .. } => {
                if let Some(current) = protocol::bytes(&data, "current") {
                    let training = *self;
                    spawn_local(async move { training.add_sample(epoch, &current).await });
                }
                if let Some(best) = protocol::bytes(&data, "best") {
                    self.save(app, best, false);
                }
            }
            Event::Finishing => self.run.set(RunState::Finishing),
            Event::Finished {
                test,
                stopped,
                seconds,
            } => {
                if let Some(best) = protocol::bytes(&data, "best") {
                    self.save(app, best, true);
                }
                if let Some((model_id, name)) = self.job_id.get_value() {
                    self.outcome.set(Some(Outcome {
                        test,
                        stopped,
                        seconds,
                        model_id,
                        name,
                    }));
                }
                self.run.set(RunState::Idle);
            }
            Event::Failed { message } => self.fail(message),
        }
    }

    /// Writes a short tune with the weights of epoch `epoch`, on the CPU.
    async fn add_sample(&self, epoch: usize, bytes: &[u8]) {
        let Ok((header, weights)) = model_file::read(bytes) else {
            return;
        };
        let config = GenerateConfig {
            max_len: SAMPLE_LEN,
            ..GenerateConfig::seeded(SEED.default)
        };
        if let Ok(written) = write_tune(&weights, header.writing(), &[], &config).await {
            let provenance = Provenance::of(&header.name, &config, "", browser::now_ms());
            let tune = Tune::from_written(written, provenance);
            self.samples.update(|s| s.push(Sample { epoch, tune }));
        }
    }

    /// Stores the run's model (a checkpoint until `complete`) and refreshes the list.
    fn save(&self, app: AppState, bytes: Vec<u8>, complete: bool) {
        let Some((id, _)) = self.job_id.get_value() else {
            return;
        };
        spawn_local(async move { app.store_model(&id, bytes, complete).await });
    }

    /// Measures how long the main thread goes without running a 50 ms timer while training.
    fn watch_stalls(&self) {
        let training = *self;
        let last = StoredValue::new(clock_ms());
        let _ = set_interval_with_handle(
            move || {
                let now = clock_ms();
                let gap = now - last.get_value() - 50.0;
                last.set_value(now);
                if matches!(
                    training.run.get_untracked(),
                    RunState::Training { paused: false }
                ) && gap > training.longest_stall_ms.get_untracked()
                {
                    training.longest_stall_ms.set(gap);
                }
            },
            std::time::Duration::from_millis(50),
        );
    }
}

fn with_base(message: Message, base: Option<Arc<Vec<u8>>>) -> Message {
    match base {
        Some(bytes) => message.with_bytes("model", &bytes),
        None => message,
    }
}
