//! Training: a step-driven loop (the page interleaves steps with rendering, pauses and
//! cancels between them; the command line runs them flat out), and held-out metrics.

mod batch;
mod job;
mod metrics;
mod trainer;

pub use job::{Job, JobSizes, JobSpec, Shape, Skipped};
pub use metrics::{Metrics, evaluate};
pub use trainer::{LossMode, Progress, TrainConfig, Trainer};
