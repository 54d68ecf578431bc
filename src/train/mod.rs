//! Training: a step-driven loop (the page interleaves steps with rendering, pauses and
//! cancels between them; the command line runs them flat out) over windows or whole songs, and
//! a whole run from a corpus to model files ([`Job`]).

mod job;
mod trainer;

pub use crate::eval::{Metrics, SongMetrics};
pub use crate::recipe::{Context, LossMode, Recipe, Shape, TrainConfig};
pub use job::{Job, JobSizes, JobSpec, Skipped};
pub use trainer::{Progress, TrainData, Trainer};
