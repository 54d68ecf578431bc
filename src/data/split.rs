//! Train / validation / test split, by song (default) or over windows (the
//! seed's way, for comparison), deterministic from a seed.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::windows::Windows;

/// What is shuffled and divided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SplitMode {
    /// Whole songs: no test window shares a song with training.
    #[default]
    BySong,
    /// Individual windows, as the seed did (windows of one song end up on both sides).
    ByWindow,
}

/// Split proportions, mode and seed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitConfig {
    /// Share of units for training (default 0.8).
    pub train: f64,
    /// Share of units for validation (default 0.1); test gets the rest.
    pub valid: f64,
    /// Songs or windows.
    pub mode: SplitMode,
    /// Seed of the ChaCha8 shuffle.
    pub seed: u64,
}

impl Default for SplitConfig {
    fn default() -> SplitConfig {
        SplitConfig {
            train: 0.8,
            valid: 0.1,
            mode: SplitMode::BySong,
            seed: 0,
        }
    }
}

/// Window indices of each part, in ascending order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Split {
    /// Training windows.
    pub train: Vec<usize>,
    /// Validation windows.
    pub valid: Vec<usize>,
    /// Test windows.
    pub test: Vec<usize>,
}

/// Shuffles the songs (or windows) with `ChaCha8Rng::seed_from_u64(seed)` and
/// gives the first `train` share to training, the next `valid` share to
/// validation and the rest to test (shares rounded down, clamped to 0–1; with three units or
/// more, validation and test get at least one each).
pub fn split(windows: &Windows, cfg: &SplitConfig) -> Split {
    let units = match cfg.mode {
        SplitMode::BySong => windows.songs(),
        SplitMode::ByWindow => windows.len(),
    };
    let mut order: Vec<usize> = (0..units).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed));
    let share = |f: f64| ((units as f64) * f.clamp(0.0, 1.0)).floor() as usize;
    let mut n_train = share(cfg.train).min(units);
    let mut n_valid = share(cfg.valid).min(units - n_train);
    // A small corpus still gets one unit each for validation and test when both are asked for.
    if units >= 3 && cfg.valid > 0.0 && cfg.train + cfg.valid < 1.0 {
        n_valid = n_valid.max(1);
        n_train = n_train.min(units - n_valid - 1);
    }
    let expand = |part: &[usize]| -> Vec<usize> {
        let mut out: Vec<usize> = match cfg.mode {
            SplitMode::BySong => part
                .iter()
                .flat_map(|&s| windows.windows_of_song(s))
                .collect(),
            SplitMode::ByWindow => part.to_vec(),
        };
        out.sort_unstable();
        out
    };
    Split {
        train: expand(&order[..n_train]),
        valid: expand(&order[n_train..n_train + n_valid]),
        test: expand(&order[n_train + n_valid..]),
    }
}
