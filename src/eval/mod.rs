//! How well a model predicts held-out songs: the whole-song NLL in three units
//! ([`songs`]) beside the tutorial's window metric ([`windows`]). The figures ([`metrics`]) are
//! plain data; computing them needs the `training` feature.

pub mod metrics;
#[cfg(feature = "training")]
pub mod songs;
#[cfg(feature = "training")]
pub mod windows;

pub use metrics::{Metrics, SongMetrics};
#[cfg(feature = "training")]
pub use songs::evaluate_songs;
#[cfg(feature = "training")]
pub use windows::evaluate;
