//! The training worker: its own WebAssembly module (`melodeon-worker`, with burn), started in
//! a dedicated Web Worker by [`crate::app::services::training`], so that parsing and training never hold the
//! page's main thread (burn's WebGPU path keeps its thread busy for long stretches between
//! awaits) and burn never weighs on the page's first download. It owns the uploaded corpus and
//! the device (WebGPU or the CPU, with the start-up check), and runs one calibration or
//! training at a time, checking for pause and stop requests between steps.

mod bench;
mod engine;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::app::protocol::{self, Estimate, Event, Message, Request};
use crate::app::services::browser::property;
use crate::backend::BackendInfo;
use crate::corpus::{self, Corpus, InputFile};
use crate::generate::{GenerateConfig, write_set};
use crate::model::check;
use crate::model_file;
use crate::settings;
use crate::stats::{Comparison, CopyIndex, Melody, compare_tunes};
use crate::train::{Job, JobSpec};
use engine::Engine;

/// Steps timed by a calibration, after one warm-up step.
const CALIBRATION_STEPS: usize = 4;
/// Least milliseconds between two progress messages.
const PROGRESS_EVERY_MS: f64 = 200.0;

/// What the worker keeps between messages.
#[derive(Default)]
struct WorkerState {
    corpus: RefCell<Option<Rc<Corpus>>>,
    /// The best device (WebGPU where it starts), started on first use and kept: burn's wgpu
    /// runtime starts once per worker.
    engine: RefCell<Option<Engine>>,
    busy: Cell<bool>,
    paused: Cell<bool>,
    stop: Cell<bool>,
}

/// Entry point in the worker (called by the bootstrap script of [`crate::app::services::training`]).
#[wasm_bindgen]
pub fn melodeon_worker() {
    console_error_panic_hook::set_once();
    let state = Rc::new(WorkerState::default());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        handle(&state, event.data());
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(Message::new(&Event::Ready));
}

fn handle(state: &Rc<WorkerState>, data: JsValue) {
    let request = match protocol::body::<Request>(&data) {
        Ok(request) => request,
        Err(message) => return post(Message::new(&Event::Failed { message })),
    };
    let calibrate = matches!(request, Request::Calibrate { .. });
    match request {
        Request::Ingest => ingest(state, received_files(&data)),
        Request::Pause | Request::Resume => {
            let paused = matches!(request, Request::Pause);
            state.paused.set(paused);
            post(Message::new(&Event::Paused { paused }));
        }
        Request::Stop => {
            state.stop.set(true);
            state.paused.set(false);
        }
        Request::Compare {
            count,
            temperature,
            max_len,
            meter,
            mode,
        } => {
            if state.busy.replace(true) {
                let message = "wait until training has ended".to_string();
                return post(Message::new(&Event::NotCompared { message }));
            }
            let model = protocol::bytes(&data, "model").unwrap_or_default();
            let copies = protocol::bytes(&data, "copies");
            let mut config = GenerateConfig {
                max_len,
                meter,
                mode,
                ..GenerateConfig::seeded(settings::SEED.default)
            };
            config.sampler.temperature = temperature;
            let state = state.clone();
            spawn_local(async move {
                let outcome = compare(&state, &model, copies, &config, count).await;
                state.busy.set(false);
                post(Message::new(&match outcome {
                    Ok(comparison) => Event::Compared {
                        comparison: Box::new(comparison),
                    },
                    Err(message) => Event::NotCompared { message },
                }));
            });
        }
        Request::Song { index } => {
            let song = state
                .corpus
                .borrow()
                .as_ref()
                .and_then(|c| c.songs.get(index).map(|s| s.song.clone()));
            post(Message::new(&match song {
                Some(song) => Event::Song { index, song },
                None => Event::Failed {
                    message: format!("song {} is not in the corpus read", index + 1),
                },
            }));
        }
        Request::Check { force_cpu } => {
            let state = state.clone();
            spawn_local(async move {
                let engine = start_engine(&state, force_cpu).await;
                let outcome = check::startup_check(&engine.device).await;
                post(Message::new(&Event::Checked {
                    info: engine.info,
                    outcome,
                }));
            });
        }
        Request::Calibrate { spec, force_cpu } | Request::Train { spec, force_cpu } => {
            if state.busy.replace(true) {
                let message = "training is already running".to_string();
                return post(Message::new(&Event::Failed { message }));
            }
            state.stop.set(false);
            state.paused.set(false);
            let base = protocol::bytes(&data, "model");
            let state = state.clone();
            spawn_local(async move {
                let outcome = run(&state, spec, base, force_cpu, calibrate).await;
                state.busy.set(false);
                if let Err(message) = outcome {
                    post(Message::new(&Event::Failed { message }));
                }
            });
        }
    }
}

/// Posts `event(done, total)` at most every [`PROGRESS_EVERY_MS`], and always the last one.
fn throttled(event: impl Fn(usize, usize) -> Event) -> impl FnMut(usize, usize) {
    let mut last = 0.0;
    move |done, total| {
        let now = js_sys::Date::now();
        if now - last > PROGRESS_EVERY_MS || done == total {
            last = now;
            post(Message::new(&event(done, total)));
        }
    }
}

/// Parses the files (the worker is busy meanwhile; the page is not) and keeps the corpus.
fn ingest(state: &WorkerState, files: Vec<corpus::InputFile>) {
    if state.busy.get() {
        let message = "wait until training has ended before reading new files".to_string();
        return post(Message::new(&Event::Failed { message }));
    }
    let corpus = corpus::ingest_with_progress(
        files,
        &Default::default(),
        throttled(|done, total| Event::Reading { done, total }),
    );
    let report = corpus.report.clone();
    *state.corpus.borrow_mut() = Some(Rc::new(corpus));
    post(Message::new(&Event::Report { report }));
}

/// Writes `count` tunes with the model file `model` and compares them with the held-out
/// songs its file describes; near copies are looked for in the uploaded corpus, else in the
/// index of training songs shipped beside the model (`shipped_copies`), if any.
async fn compare(
    state: &WorkerState,
    model: &[u8],
    shipped_copies: Option<Vec<u8>>,
    config: &GenerateConfig,
    count: u64,
) -> Result<Comparison, String> {
    let (header, weights) = model_file::read(model).map_err(|e| e.to_string())?;
    let reference = header.training.reference.clone().ok_or(
        "this model file does not describe its held-out songs (files saved before Melodeon \
         carried them); `melodeon stats --reference-into` adds them",
    )?;
    let total = count as usize;
    let mut progress = throttled(|done, total| Event::Comparing { done, total });
    let tunes = write_set(&weights, header.writing(), config, count, |done| {
        progress(done, total)
    })
    .await?;
    let step = header.grid.step;
    let fallback = config.meter.unwrap_or(settings::METER);
    let generated: Vec<Melody> = tunes
        .iter()
        .map(|t| Melody::from_written(t, fallback, step))
        .collect();
    // Near copies: of the uploaded songs if any, else of the songs the shipped index names.
    let corpus = state.corpus.borrow().clone();
    let copies =
        match (corpus, shipped_copies) {
            (Some(corpus), _) => Some(CopyIndex::of_songs(&corpus.songs, step)),
            (None, Some(bytes)) => Some(serde_json::from_slice(&bytes).map_err(|e| {
                format!("the model's index of its training songs is unreadable: {e}")
            })?),
            (None, None) => None,
        };
    Ok(compare_tunes(
        &generated,
        &reference,
        copies.as_ref(),
        config.sampler.seed,
    ))
}

/// The corpus's job for `spec` on `engine` (from the model file `base` when fine-tuning);
/// with `announce`, its sizes are posted to the page.
fn prepare(
    state: &WorkerState,
    spec: JobSpec,
    base: Option<&[u8]>,
    engine: &Engine,
    announce: bool,
) -> Result<Job, String> {
    let corpus = state
        .corpus
        .borrow()
        .clone()
        .ok_or("no songs have been read yet")?;
    let base = match base {
        Some(bytes) => Some(
            model_file::load(bytes, &engine.device)
                .map_err(|e| format!("the model to start from: {e}"))?,
        ),
        None => None,
    };
    let job = Job::new(&corpus, spec, base, &engine.device)?;
    if announce {
        post(Message::new(&Event::Started {
            backend: engine.info.label(),
            sizes: job.sizes(),
            skipped: job.skipped().to_vec(),
        }));
    }
    Ok(job)
}

/// Times `spec` on the CPU and, unless `force_cpu`, on WebGPU where it starts, and posts the
/// estimates: the page then trains on the faster.
async fn calibrate(
    state: &WorkerState,
    spec: JobSpec,
    base: Option<Vec<u8>>,
    force_cpu: bool,
) -> Result<(), String> {
    let mut engines = vec![start_engine(state, true).await];
    if !force_cpu {
        let best = start_engine(state, false).await;
        if best.info.is_webgpu() {
            engines.push(best);
        }
    }
    let mut estimates = Vec::new();
    // The sizes are the same on every device: announced once, with the CPU.
    for (k, engine) in engines.iter().enumerate() {
        let mut job = prepare(state, spec.clone(), base.as_deref(), engine, k == 0)?;
        estimates.push(estimate(&mut job, &engine.info).await?);
    }
    post(Message::new(&Event::Calibrated { estimates }));
    Ok(())
}

async fn run(
    state: &WorkerState,
    spec: JobSpec,
    base: Option<Vec<u8>>,
    force_cpu: bool,
    calibrate: bool,
) -> Result<(), String> {
    if calibrate {
        return self::calibrate(state, spec, base, force_cpu).await;
    }
    let engine = start_engine(state, force_cpu).await;
    let mut job = prepare(state, spec, base.as_deref(), &engine, true)?;
    post(
        Message::new(&Event::Epoch {
            epoch: 0,
            valid: None,
        })
        .with_bytes("current", &job.current_file().await?),
    );
    let mut last_post = 0.0;
    let mut stopped = false;
    while !job.is_finished() {
        while state.paused.get() && !state.stop.get() {
            crate::app::services::browser::sleep(100).await;
        }
        if state.stop.get() {
            stopped = true;
            break;
        }
        let progress = job.step().await?;
        let now = js_sys::Date::now();
        let epoch_end = progress.step_in_epoch == progress.steps_per_epoch;
        if now - last_post > PROGRESS_EVERY_MS || progress.valid.is_some() {
            last_post = now;
            post(Message::new(&Event::Step {
                progress: progress.clone(),
                memory_bytes: memory_bytes(),
            }));
        }
        if epoch_end {
            let message = Message::new(&Event::Epoch {
                epoch: progress.epoch,
                valid: progress.valid,
            });
            post(
                message
                    .with_bytes("current", &job.current_file().await?)
                    .with_bytes("best", &job.best_file().await?),
            );
        }
        // Lets pause and stop messages in.
        crate::app::services::browser::sleep(0).await;
    }
    post(Message::new(&Event::Finishing));
    // Lets the page show it before the work below holds the worker for a few seconds.
    crate::app::services::browser::sleep(0).await;
    let (bytes, test, _) = job.finish(crate::recipe::PAGE_CALIBRATION_ROUNDS).await?;
    post(
        Message::new(&Event::Finished {
            test,
            stopped,
            seconds: job.training_seconds(),
        })
        .with_bytes("best", &bytes),
    );
    Ok(())
}

/// The CPU when `force_cpu`; else the best device (WebGPU where it starts), started on first
/// use and kept: burn's wgpu runtime starts once per worker, so the CPU is never kept in its
/// place.
async fn start_engine(state: &WorkerState, force_cpu: bool) -> Engine {
    if force_cpu {
        return engine::start(true).await;
    }
    if let Some(engine) = state.engine.borrow().as_ref() {
        return engine.clone();
    }
    let engine = engine::start(false).await;
    *state.engine.borrow_mut() = Some(engine.clone());
    engine
}

/// The files of an [`Request::Ingest`] message (packed by [`Message::with_packed_files`]);
/// a malformed message reads as no files.
fn received_files(data: &JsValue) -> Vec<InputFile> {
    let packed = property(data, "files");
    let names: Array = property(&packed, "names").dyn_into().unwrap_or_default();
    let bytes = property(&packed, "bytes")
        .dyn_into::<Uint8Array>()
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let ends = property(&packed, "ends")
        .dyn_into::<js_sys::Uint32Array>()
        .map(|e| e.to_vec())
        .unwrap_or_default();
    let mut start = 0;
    names
        .iter()
        .zip(ends)
        .map(|(name, end)| {
            let end = (end as usize).clamp(start, bytes.len());
            let file = InputFile::new(
                name.as_string().unwrap_or_default(),
                bytes[start..end].to_vec(),
            );
            start = end;
            file
        })
        .collect()
}

/// An array of `{ name, bytes }` objects as input files (anything else reads as none).
pub(super) fn input_files(list: &JsValue) -> Vec<InputFile> {
    let list: Array = list.clone().dyn_into().unwrap_or_default();
    list.iter()
        .map(|file| {
            let name = property(&file, "name").as_string().unwrap_or_default();
            let bytes = property(&file, "bytes")
                .dyn_into::<Uint8Array>()
                .map(|b| b.to_vec())
                .unwrap_or_default();
            InputFile::new(name, bytes)
        })
        .collect()
}

/// Times a warm-up step and then [`CALIBRATION_STEPS`] steps of `job` on the device `info`
/// names; validation is estimated from the songs it reads (a forward pass only, about a third
/// of a training step's work).
async fn estimate(job: &mut Job, info: &BackendInfo) -> Result<Estimate, String> {
    job.step().await?;
    let before = job.training_seconds();
    let mut steps = 0;
    while steps < CALIBRATION_STEPS && !job.is_finished() {
        job.step().await?;
        steps += 1;
    }
    let sizes = job.sizes();
    let seconds_per_step = (job.training_seconds() - before) / steps.max(1) as f64;
    // Validation reads the validation songs forward only: about a third of a step's work each.
    let validation_steps = sizes.steps_per_epoch as f64 * sizes.valid_songs as f64
        / sizes.train_songs.max(1) as f64
        / 3.0;
    Ok(Estimate {
        backend: info.label(),
        on_cpu: !info.is_webgpu(),
        seconds_per_step,
        seconds_per_epoch: seconds_per_step * (sizes.steps_per_epoch as f64 + validation_steps),
    })
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(message: Message) {
    if let Err(err) = scope().post_message_with_transfer(&message.object, &message.transfer) {
        web_sys::console::error_2(&"could not post to the page".into(), &err);
    }
}

/// The size of this worker's WebAssembly memory, in bytes.
fn memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
    f64::from(buffer.byte_length())
}
