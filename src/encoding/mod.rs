//! Songs ↔ grid tokens ↔ vocabulary ids.

pub mod grid;
pub mod primer;
pub mod vocab;

pub use grid::{
    DecodeError, EncodeError, Encoded, GridConfig, Step, Token, decode, encode, to_song,
};
pub use vocab::{Vocab, VocabError};
