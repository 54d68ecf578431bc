//! Messages between the page and its training worker.
//!
//! Each message is a plain JavaScript object: `json` holds a [`Request`] or an [`Event`]
//! (serde, tagged by `kind`), and byte payloads travel beside it as transferred buffers
//! (`files` for an upload, `model`, `current` and `best` for model files), never copied
//! through JSON.

use js_sys::{Array, Object, Reflect, Uint8Array};

use crate::app::services::browser::property as get;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

use crate::backend::BackendInfo;
use crate::corpus::report::CorpusReport;
use crate::song::{Meter, Mode, Song};
use crate::stats::Comparison;
use crate::train::{JobSizes, JobSpec, Metrics, Progress, Skipped, SongMetrics};

/// A calibration's estimate for one device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The device, e.g. "WebGPU (google swiftshader)".
    pub backend: String,
    /// Whether it is the CPU.
    pub on_cpu: bool,
    /// Seconds per training step, after a warm-up step.
    pub seconds_per_step: f64,
    /// Estimated seconds per epoch (steps and validation).
    pub seconds_per_epoch: f64,
}

/// What the page asks of the worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Request {
    /// Read the files in `files` (packed: [`Message::with_packed_files`]) as the corpus to
    /// train on.
    Ingest,
    /// Time a few steps of `spec` on the CPU and, unless `force_cpu`, on WebGPU where it starts
    /// (`model`: the model to fine-tune, if any).
    Calibrate {
        /// What would be trained.
        spec: JobSpec,
        /// Time the CPU only.
        force_cpu: bool,
    },
    /// Train `spec` on the corpus (`model`: the model to fine-tune, if any).
    Train {
        /// What to train.
        spec: JobSpec,
        /// Train on the CPU even where WebGPU is available.
        force_cpu: bool,
    },
    /// Hold training after the current step.
    Pause,
    /// Go on after a pause.
    Resume,
    /// End training after the current step and keep the best weights so far.
    Stop,
    /// Write tunes with the model in `model` and compare them with its held-out songs (the
    /// statistics its file carries); near copies are looked for in the uploaded corpus, else
    /// in `copies` (the index shipped beside the model), if given.
    Compare {
        /// Tunes to write.
        count: u64,
        /// Sampling temperature.
        temperature: f32,
        /// Longest tune in grid steps.
        max_len: usize,
        /// Meter asked for (conditioned models).
        meter: Option<Meter>,
        /// Mode asked for (conditioned models).
        mode: Option<Mode>,
    },
    /// Send accepted song number `index` of the corpus (in the report's order).
    Song {
        /// Index among the accepted songs.
        index: usize,
    },
    /// Start the device (WebGPU if available) and run the start-up check on it.
    Check {
        /// Use the CPU even where WebGPU is available.
        force_cpu: bool,
    },
}

/// What the worker tells the page.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// The worker has started and listens.
    Ready,
    /// Files read so far while ingesting.
    Reading {
        /// Files done.
        done: usize,
        /// Files in all (archive members counted).
        total: usize,
    },
    /// The corpus is read: what was accepted and rejected.
    Report {
        /// The full report.
        report: CorpusReport,
    },
    /// A calibration or training run has prepared its data.
    Started {
        /// The device, e.g. "WebGPU (google swiftshader)".
        backend: String,
        /// Songs, windows, steps and parameters.
        sizes: JobSizes,
        /// Songs left out when fine-tuning.
        skipped: Vec<Skipped>,
    },
    /// The result of a calibration: one estimate per device timed, the CPU first.
    Calibrated {
        /// The estimates.
        estimates: Vec<Estimate>,
    },
    /// One training step is done (sent at most a few times a second).
    Step {
        /// The step's figures.
        progress: Progress,
        /// Bytes of the worker's WebAssembly memory.
        memory_bytes: f64,
    },
    /// Training paused or resumed.
    Paused {
        /// Whether training now waits.
        paused: bool,
    },
    /// An epoch ended (epoch 0: before training); `current` holds the weights as they are
    /// now, `best` the best so far (both model files).
    Epoch {
        /// Epochs done.
        epoch: usize,
        /// Validation metrics after it (none before training).
        valid: Option<Metrics>,
    },
    /// Training's steps are over; the test songs and the calibrations of writing come next.
    Finishing,
    /// Training ended (all epochs, or stopped); `best` holds the final model file.
    Finished {
        /// Whole-song test metrics of the best weights.
        test: SongMetrics,
        /// Whether the user stopped it early.
        stopped: bool,
        /// Seconds of training (pauses excluded).
        seconds: f64,
    },
    /// Tunes written so far for a comparison.
    Comparing {
        /// Tunes written.
        done: usize,
        /// Tunes to write.
        total: usize,
    },
    /// A comparison is ready.
    Compared {
        /// What the panel shows.
        comparison: Box<Comparison>,
    },
    /// A comparison could not be made.
    NotCompared {
        /// Why, for the user.
        message: String,
    },
    /// An accepted song of the corpus, as asked for by [`Request::Song`].
    Song {
        /// Index among the accepted songs.
        index: usize,
        /// The song as read (its own key, meters and notes).
        song: Song,
    },
    /// The device started for [`Request::Check`], and the check's logits or why it failed.
    Checked {
        /// Which backend runs.
        info: BackendInfo,
        /// The start-up check's logits, or what went wrong.
        outcome: Result<Vec<f32>, String>,
    },
    /// Something went wrong; the worker stays usable.
    Failed {
        /// What, for the user.
        message: String,
    },
}

/// A message: its JSON part and the byte payloads beside it.
pub struct Message {
    /// The object posted.
    pub object: Object,
    /// Buffers to transfer with it.
    pub transfer: Array,
}

impl Message {
    /// A message carrying `body`.
    pub fn new(body: &impl Serialize) -> Message {
        let object = Object::new();
        let json = serde_json::to_string(body).unwrap_or_else(|e| {
            format!(r#"{{"kind":"failed","message":"message not serialisable: {e}"}}"#)
        });
        set(&object, "json", &json.into());
        Message {
            object,
            transfer: Array::new(),
        }
    }

    /// Adds the bytes `bytes` under `field`.
    pub fn with_bytes(self, field: &str, bytes: &[u8]) -> Message {
        let array = Uint8Array::from(bytes);
        self.transfer.push(&array.buffer());
        set(&self.object, field, &array);
        self
    }

    /// Adds files packed as `{ names, bytes, ends }` under `files` (see
    /// [`crate::app::services::files::Chosen::read`]), transferring their one buffer.
    pub fn with_packed_files(self, packed: &JsValue) -> Message {
        if let Ok(bytes) = get(packed, "bytes").dyn_into::<Uint8Array>() {
            self.transfer.push(&bytes.buffer());
        }
        set(&self.object, "files", packed);
        self
    }
}

/// Reads the JSON part of a received message.
pub fn body<T: for<'de> Deserialize<'de>>(data: &JsValue) -> Result<T, String> {
    let json = get(data, "json")
        .as_string()
        .ok_or("a message without a body")?;
    serde_json::from_str(&json).map_err(|e| format!("an unreadable message: {e}"))
}

/// The bytes under `field` of a received message, if any.
pub fn bytes(data: &JsValue, field: &str) -> Option<Vec<u8>> {
    get(data, field)
        .dyn_into::<Uint8Array>()
        .ok()
        .map(|a| a.to_vec())
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}
