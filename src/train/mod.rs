//! Training: a step-driven loop (the page interleaves steps with rendering, pauses and
//! cancels between them; the command line runs them flat out) over windows or whole songs, and
//! a whole run from a corpus to model files ([`Job`]). What a run is asked and reports
//! ([`spec`]) is plain data; running one needs the `training` feature.

#[cfg(feature = "training")]
pub mod adam;
#[cfg(feature = "training")]
mod job;
mod spec;
#[cfg(feature = "training")]
mod trainer;

pub use crate::eval::{Metrics, SongMetrics};
pub use crate::recipe::{Context, LossMode, Recipe, Shape, TrainConfig, Weighting};
#[cfg(feature = "training")]
pub use job::Job;
pub use spec::{JobSizes, JobSpec, Progress, Skipped};
#[cfg(feature = "training")]
pub use trainer::{Start, TrainData, Trainer};
