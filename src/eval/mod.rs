//! How well a model predicts held-out songs: the whole-song NLL in three units
//! ([`songs`]) beside the seed's window metric ([`windows`]).

pub mod songs;
pub mod windows;

pub use songs::{SongMetrics, evaluate_songs};
pub use windows::{Metrics, evaluate};
