//! The settings of writing tunes that `melodeon generate` and `melodeon stats` share, with
//! their defaults and ranges from [`crate::settings`].

use clap::Args;

use crate::generate::{GenerateConfig, SamplerConfig};
use crate::settings::{MAX_LEN, SEED, TEMPERATURE};
use crate::song::{Meter, Mode};

/// How to write tunes.
#[derive(Args, Debug)]
pub struct WritingArgs {
    /// Seed of the first tune (the next ones count up from it).
    #[arg(long, default_value_t = SEED.default)]
    pub seed: u64,
    /// Softmax temperature (kept within 0.1–2.0).
    #[arg(long, default_value_t = TEMPERATURE.default)]
    pub temperature: f32,
    /// Sample only among the k most likely tokens.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Maximum tokens per tune (grid steps), primer included.
    #[arg(long, default_value_t = MAX_LEN.default)]
    pub max_len: usize,
    /// Meter to write in (a conditioned model follows it; default: drawn from the training
    /// songs' meters).
    #[arg(long)]
    pub meter: Option<Meter>,
    /// Mode to write in, such as `major` or `minor` (a conditioned model follows it; default:
    /// drawn from the training songs).
    #[arg(long)]
    pub mode: Option<Mode>,
}

impl WritingArgs {
    /// The settings of the tune with `seed`, each kept in its range.
    pub fn config(&self, seed: u64) -> GenerateConfig {
        GenerateConfig {
            sampler: SamplerConfig {
                temperature: TEMPERATURE.range.clamp(self.temperature),
                top_k: self.top_k,
                seed,
            },
            max_len: MAX_LEN.range.clamp(self.max_len),
            meter: self.meter,
            mode: self.mode,
        }
    }
}
