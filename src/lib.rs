//! Melodeon: learns folk melodies and writes new ones.
//!
//! The core (everything but `app`) knows nothing of the DOM and compiles both natively
//! and to wasm32. Data flows one way:
//! files → songs → tokens (and conditioning inputs) → batches of songs → model → tokens →
//! tune → notation (bars, ties, spelling) → MIDI, ABC, MusicXML / audio, with statistics of
//! tunes against held-out songs.
//!
//! The `training` feature (on by default) adds burn: the network as tensors, training,
//! evaluation and the device check. Without it the core still reads model files and
//! generates, through the plain CPU kernel; the page is built that way, so its first download
//! holds no burn (the worker, which trains, is built with it).

pub mod backend;
#[cfg(feature = "training")]
pub mod bench;
pub mod corpus;
pub mod data;
pub mod encoding;
pub mod eval;
pub mod export;
pub mod generate;
pub mod model;
pub mod model_file;
pub mod notation;
pub mod recipe;
pub mod settings;
pub mod song;
pub mod stats;
pub mod train;
pub mod tune;

#[cfg(target_arch = "wasm32")]
pub mod app;

#[cfg(all(not(target_arch = "wasm32"), feature = "training"))]
pub mod cli;
