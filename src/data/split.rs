//! Train / validation / test split: by song with variants grouped (default), by song, or over
//! windows (the tutorial's way, for comparison), deterministic from a seed.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::windows::Windows;

/// What is shuffled and divided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SplitMode {
    /// Whole songs, and songs that share an opening (variants of one tune) go to the same
    /// part, so no test song has its twin in training. A song's part depends only on its
    /// opening and the seed, so it is the same whatever else the corpus holds (Erk's test songs
    /// are the same when Erk is trained alone or within the German pool).
    #[default]
    Grouped,
    /// Whole songs: no test window shares a song with training.
    BySong,
    /// Individual windows, as the tutorial did (windows of one song end up on both sides).
    ByWindow,
}

crate::settings::choices!(SplitMode, "split", [
    Grouped => "grouped",
    BySong => "songs",
    ByWindow => "windows",
]);

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
            mode: SplitMode::Grouped,
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

/// Song indices of each part, in ascending order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SongSplit {
    /// Training songs.
    pub train: Vec<usize>,
    /// Validation songs.
    pub valid: Vec<usize>,
    /// Test songs.
    pub test: Vec<usize>,
}

/// A well-mixed number in [0, 1) from a song's opening key and the split seed.
fn unit_interval(key: u64, seed: u64) -> f64 {
    let mut z = key ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Splits songs into parts. `openings` holds each song's [`crate::corpus::opening`] key (only
/// [`SplitMode::Grouped`] reads it). With [`SplitMode::ByWindow`] every song is in training
/// (the windows are split instead, see [`split`]).
pub fn split_songs(openings: &[u64], cfg: &SplitConfig) -> SongSplit {
    let units = openings.len();
    let mut parts = SongSplit::default();
    match cfg.mode {
        SplitMode::ByWindow => parts.train = (0..units).collect(),
        SplitMode::BySong => {
            let mut order: Vec<usize> = (0..units).collect();
            order.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed));
            let (n_train, n_valid) = shares(units, cfg);
            parts.train = order[..n_train].to_vec();
            parts.valid = order[n_train..n_train + n_valid].to_vec();
            parts.test = order[n_train + n_valid..].to_vec();
        }
        SplitMode::Grouped => {
            let mut keyed: Vec<(f64, usize)> = openings
                .iter()
                .enumerate()
                .map(|(song, &key)| (unit_interval(key, cfg.seed), song))
                .collect();
            let valid_from = cfg.train.clamp(0.0, 1.0);
            let test_from = (cfg.train + cfg.valid).clamp(0.0, 1.0);
            for &(u, song) in &keyed {
                let part = if u < valid_from {
                    &mut parts.train
                } else if u < test_from {
                    &mut parts.valid
                } else {
                    &mut parts.test
                };
                part.push(song);
            }
            // A small corpus still gets a group each for validation and test: the groups of
            // training with the highest draws move over.
            keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
            let wants_both = cfg.valid > 0.0 && cfg.train + cfg.valid < 1.0;
            for want_test in [true, false] {
                let empty = if want_test {
                    parts.test.is_empty()
                } else {
                    parts.valid.is_empty()
                };
                if !(wants_both && empty) {
                    continue;
                }
                let Some(&(u, _)) = keyed.iter().find(|(_, s)| parts.train.contains(s)) else {
                    continue;
                };
                let group: Vec<usize> = keyed
                    .iter()
                    .filter(|(v, _)| *v == u)
                    .map(|&(_, s)| s)
                    .collect();
                if group.len() == parts.train.len() {
                    continue;
                }
                parts.train.retain(|s| !group.contains(s));
                let part = if want_test {
                    &mut parts.test
                } else {
                    &mut parts.valid
                };
                part.extend(group);
            }
        }
    }
    for part in [&mut parts.train, &mut parts.valid, &mut parts.test] {
        part.sort_unstable();
    }
    parts
}

/// Units for training and validation (the rest is for test): shares rounded down, clamped to
/// 0–1; with three units or more, validation and test get at least one each.
fn shares(units: usize, cfg: &SplitConfig) -> (usize, usize) {
    let share = |f: f64| ((units as f64) * f.clamp(0.0, 1.0)).floor() as usize;
    let mut n_train = share(cfg.train).min(units);
    let mut n_valid = share(cfg.valid).min(units - n_train);
    if units >= 3 && cfg.valid > 0.0 && cfg.train + cfg.valid < 1.0 {
        n_valid = n_valid.max(1);
        n_train = n_train.min(units - n_valid - 1);
    }
    (n_train, n_valid)
}

/// The windows of each part: those of each part's songs ([`split_songs`]), or, with
/// [`SplitMode::ByWindow`], the windows themselves shuffled with `ChaCha8Rng::seed_from_u64(seed)`
/// and divided by the shares.
pub fn split(windows: &Windows, openings: &[u64], cfg: &SplitConfig) -> Split {
    if cfg.mode == SplitMode::ByWindow {
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed));
        let (n_train, n_valid) = shares(order.len(), cfg);
        let sorted = |part: &[usize]| {
            let mut part = part.to_vec();
            part.sort_unstable();
            part
        };
        return Split {
            train: sorted(&order[..n_train]),
            valid: sorted(&order[n_train..n_train + n_valid]),
            test: sorted(&order[n_train + n_valid..]),
        };
    }
    let songs = split_songs(openings, cfg);
    let expand = |part: &[usize]| -> Vec<usize> {
        part.iter()
            .flat_map(|&s| windows.windows_of_song(s))
            .collect()
    };
    Split {
        train: expand(&songs.train),
        valid: expand(&songs.valid),
        test: expand(&songs.test),
    }
}
