//! A corpus's windows and their split: what training and evaluation read from.

use super::split::{Split, SplitConfig, split};
use super::windows::Windows;

/// All windows of a corpus, split into training, validation and test.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Every window (stride 1), as views into one id buffer.
    pub windows: Windows,
    /// Window indices of each part.
    pub split: Split,
}

impl Dataset {
    /// Windows of `sequence_len` over the id sequences of the songs, split by `config`
    /// (`openings`: each song's [`super::split::opening`] key, for the grouped split).
    pub fn new<S: AsRef<[u32]>>(
        songs: &[S],
        openings: &[u64],
        sequence_len: usize,
        config: &SplitConfig,
    ) -> Self {
        let windows = Windows::new(songs, sequence_len);
        let split = split(&windows, openings, config);
        Self { windows, split }
    }
}
