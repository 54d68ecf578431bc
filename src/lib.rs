//! Melodeon: learns folk melodies and writes new ones.
//!
//! The core (everything but `app`) knows nothing of the DOM and compiles both natively
//! and to wasm32. Data flows one way:
//! files → songs → tokens (and conditioning inputs) → batches of songs → model → tokens →
//! tune → notation (bars, ties, spelling) → MIDI, ABC, MusicXML / audio, with statistics of
//! tunes against held-out songs.

pub mod backend;
pub mod bench;
pub mod corpus;
pub mod data;
pub mod encoding;
pub mod eval;
pub mod export;
pub mod generate;
pub mod model;
pub mod notation;
pub mod readback;
pub mod recipe;
pub mod song;
pub mod stats;
pub mod train;
pub mod tune;

#[cfg(target_arch = "wasm32")]
pub mod app;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
