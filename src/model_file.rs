//! The model file: one self-describing file per trained model.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 0–7 | magic `MELODEON` |
//! | 8–11 | format version (`u32`, currently 2; 1 still loads) |
//! | 12–15 | header length `H` (`u32`) |
//! | 16–19 | weights length `W` (`u32`) |
//! | 20–23 | CRC-32 of the header and weights |
//! | 24… | header: JSON ([`ModelHeader`]: config, vocabulary, encoder settings, training metadata) |
//! | 24+H… | weights: burn's record format (burnpack), `W` bytes |
//!
//! Loading checks every part and fails with a [`ModelFileError`] naming the problem; it never
//! panics. The same bytes load natively and in the page: [`read`] as plain arrays for the CPU
//! kernel (no burn), and, with the `training` feature, [`load`] as a burn network and [`save`].

use serde::{Deserialize, Serialize};

use crate::stats::Reference;
use thiserror::Error;

use crate::data::SplitConfig;
use crate::encoding::grid::GridConfig;
use crate::encoding::vocab::Vocab;
use crate::eval::{Metrics, SongMetrics};
use crate::generate::{EndCalibration, FormPrior, NewPitchCalibration, Writing};
#[cfg(feature = "training")]
use crate::model::MelodyModel;
use crate::model::{ModelConfig, Weights};
use crate::recipe::{Context, TrainConfig};

const MAGIC: &[u8; 8] = b"MELODEON";
/// The format version this build writes and the newest it reads. Version 1 (before whole
/// songs and conditioning) still loads: its missing header fields read as the tutorial's windows
/// without conditioning.
pub const FORMAT_VERSION: u32 = 2;
const PREFIX: usize = 24;

impl ModelHeader {
    /// How the model reads songs, and so how a tune starts.
    pub fn context(&self) -> Context {
        self.training.config.context
    }

    /// What writing a tune needs of this file besides the network.
    pub fn writing(&self) -> Writing<'_> {
        Writing {
            vocab: &self.vocab,
            step: self.grid.step,
            start_tokens: self.context().start_tokens(),
            conditioning: self.config.conditioning.as_ref(),
            ends: self.ends.as_ref(),
            new_pitches: self.new_pitches.as_ref(),
            forms: self.forms.as_ref(),
        }
    }
}

/// Everything about a model except its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    /// The model's name as shown to the user.
    pub name: String,
    /// The network's shape.
    pub config: ModelConfig,
    /// Token ids, in id order.
    pub vocab: Vocab,
    /// How songs were encoded (step, transposition, ties).
    pub grid: GridConfig,
    /// How and on what the model was trained.
    pub training: TrainingInfo,
    /// The end's calibration by the last pitch's degree, fitted on the validation songs (files
    /// from before it: none, and tunes are written as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends: Option<EndCalibration>,
    /// The calibration of pitches a tune has not used yet, fitted with the end's (files from
    /// before it: none, and tunes take up new pitches as the network says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_pitches: Option<NewPitchCalibration>,
    /// Which bars of its training and validation songs repeat an earlier bar, as chances
    /// (files from before it: none, and the network alone decides every bar).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forms: Option<FormPrior>,
}

/// Training metadata carried by a model file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// Name of the corpus (e.g. "Erk (Essen Folksong Collection), **kern").
    pub corpus: String,
    /// Songs accepted from the corpus.
    pub songs: usize,
    /// Training settings (epochs, loss mode, stride, learning rate, seed, …).
    pub config: TrainConfig,
    /// How the corpus was split.
    pub split: SplitConfig,
    /// Best validation metrics.
    pub valid: Option<Metrics>,
    /// Test metrics on the held-out split, the tutorial's way (windows; none for a conditioned
    /// model, which needs the bar clock a window does not have).
    pub test: Option<Metrics>,
    /// Whole-song test metrics on the held-out songs.
    #[serde(default)]
    pub test_songs: Option<SongMetrics>,
    /// Statistics of the held-out songs (no notes), for comparing tunes with them without
    /// the corpus (the page's comparison panel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    /// Seconds spent training.
    pub training_seconds: f64,
    /// When the model was saved (seconds since 1970).
    pub created_unix_s: u64,
}

/// Why a model file could not be read.
#[derive(Debug, Error, PartialEq)]
pub enum ModelFileError {
    /// Not a Melodeon model file at all.
    #[error("this is not a Melodeon model file")]
    NotAModel,
    /// Written by a newer Melodeon.
    #[error(
        "this model file has format {0}, made by a newer Melodeon; this version reads format {FORMAT_VERSION}"
    )]
    NewerVersion(u32),
    /// Shorter than its own lengths say.
    #[error("the model file is truncated: {expected} bytes expected, {found} found")]
    Truncated {
        /// Bytes the file should have (64-bit: forged lengths must not wrap on wasm32).
        expected: u64,
        /// Bytes it has.
        found: u64,
    },
    /// The checksum does not match.
    #[error("the model file is corrupted (checksum mismatch)")]
    Corrupted,
    /// The header is not valid.
    #[error("the model file's header is invalid: {0}")]
    BadHeader(String),
    /// The weights do not load into the described network.
    #[error("the model file's weights do not fit its network: {0}")]
    BadWeights(String),
    /// The model could not be written.
    #[error("could not write the model: {0}")]
    Write(String),
}

/// Serialises `model` with `header`. The model's parameters must be readable synchronously
/// (a CPU device); move a WebGPU model to the CPU first.
#[cfg(feature = "training")]
pub fn save(header: &ModelHeader, model: &MelodyModel) -> Result<Vec<u8>, ModelFileError> {
    use burn::module::Module;
    let weights = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| ModelFileError::Write(e.to_string()))?;
    assemble(header, &weights)
}

/// The model file `bytes` with `header` in place of its own (a new name, say), after checking
/// the file; the weights are kept as they are.
pub fn with_header(bytes: &[u8], header: &ModelHeader) -> Result<Vec<u8>, ModelFileError> {
    let (_, weights) = open(bytes)?;
    assemble(header, weights)
}

/// The model file `bytes` with its weights stored in half precision (f16; see
/// [`crate::model::weights::halve`]), after checking the file.
pub fn halved(bytes: &[u8]) -> Result<Vec<u8>, ModelFileError> {
    let (header, weights) = open(bytes)?;
    let half = crate::model::weights::halve(weights).map_err(ModelFileError::Write)?;
    assemble(&header, &half)
}

/// Puts `header` and the burnpack `weights` into one file.
fn assemble(header: &ModelHeader, weights: &[u8]) -> Result<Vec<u8>, ModelFileError> {
    let json = serde_json::to_vec(header).map_err(|e| ModelFileError::Write(e.to_string()))?;
    let length =
        |n: usize| u32::try_from(n).map_err(|_| ModelFileError::Write("model too large".into()));
    let mut out = Vec::with_capacity(PREFIX + json.len() + weights.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&length(json.len())?.to_le_bytes());
    out.extend_from_slice(&length(weights.len())?.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&json);
    out.extend_from_slice(weights);
    let crc = crc32fast::hash(&out[PREFIX..]);
    out[20..24].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Reads only the header (fast: for listing models), after checking the whole file.
pub fn read_header(bytes: &[u8]) -> Result<ModelHeader, ModelFileError> {
    split(bytes).and_then(|(header, _)| parse_header(header))
}

/// Reads a model file as plain arrays, for the CPU kernel.
pub fn read(bytes: &[u8]) -> Result<(ModelHeader, Weights), ModelFileError> {
    let (header, weights) = open(bytes)?;
    let weights = Weights::read(weights, &header.config).map_err(ModelFileError::BadWeights)?;
    Ok((header, weights))
}

/// Reads a model file onto `device`.
#[cfg(feature = "training")]
pub fn load(
    bytes: &[u8],
    device: &burn::tensor::Device,
) -> Result<(ModelHeader, MelodyModel), ModelFileError> {
    use burn::module::Module;
    use burn::store::ModuleRecord;
    let (header, weights) = open(bytes)?;
    // Weights stored as f16 (the shipped model's) widen to the network's f32.
    let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(weights.to_vec()))
        .map_err(|e| ModelFileError::BadWeights(e.to_string()))?
        .cast_to_module_dtype();
    let model = header
        .config
        .init(device)
        .try_load_record(record)
        .map_err(|e| ModelFileError::BadWeights(e.to_string()))?;
    Ok((header, model))
}

/// Checks the file and its header; returns the header and the weights' bytes.
fn open(bytes: &[u8]) -> Result<(ModelHeader, &[u8]), ModelFileError> {
    let (header, weights) = split(bytes)?;
    let header = parse_header(header)?;
    // Every parameter takes at least two bytes (f16) in the record: a header that claims more
    // than the weights can hold is refused before a network of that size is built (a forged
    // file cannot make the page allocate gigabytes).
    let params = header.config.num_params();
    if weights.len() < params.saturating_mul(2) {
        return Err(ModelFileError::BadWeights(format!(
            "{} bytes of weights are too few for a network of {params} parameters",
            weights.len()
        )));
    }
    Ok((header, weights))
}

/// Checks magic, version, lengths and checksum; returns the header and weights bytes.
fn split(bytes: &[u8]) -> Result<(&[u8], &[u8]), ModelFileError> {
    if bytes.len() < PREFIX || &bytes[..8] != MAGIC {
        return Err(ModelFileError::NotAModel);
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(8);
    if version > FORMAT_VERSION {
        return Err(ModelFileError::NewerVersion(version));
    }
    if version == 0 {
        return Err(ModelFileError::NotAModel);
    }
    // In 64 bits: on wasm32 two forged lengths could wrap a usize sum round to a small one.
    let header_len = u64::from(word(12));
    let expected = PREFIX as u64 + header_len + u64::from(word(16));
    let found = bytes.len() as u64;
    if found < expected {
        return Err(ModelFileError::Truncated { expected, found });
    }
    if found > expected || crc32fast::hash(&bytes[PREFIX..]) != word(20) {
        return Err(ModelFileError::Corrupted);
    }
    // The header fits in the file (checked above), so its length fits a usize.
    Ok(bytes[PREFIX..].split_at(header_len as usize))
}

/// Parses the header and checks that config, vocabulary and encoder fit together (the
/// vocabulary itself only deserialises when every token is a grid token and `.` comes first).
fn parse_header(json: &[u8]) -> Result<ModelHeader, ModelFileError> {
    let header: ModelHeader =
        serde_json::from_slice(json).map_err(|e| ModelFileError::BadHeader(e.to_string()))?;
    header
        .config
        .validate()
        .map_err(ModelFileError::BadHeader)?;
    if header.vocab.len() != header.config.vocab_size {
        return Err(ModelFileError::BadHeader(format!(
            "the vocabulary has {} tokens but the network predicts {}",
            header.vocab.len(),
            header.config.vocab_size
        )));
    }
    Ok(header)
}
