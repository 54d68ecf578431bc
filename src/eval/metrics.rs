//! What an evaluation reports: plain numbers, kept in model files and shown by the page.

use serde::{Deserialize, Serialize};

/// Whole-song metrics over a set of songs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SongMetrics {
    /// Mean NLL per token (terminator included), in nats.
    pub nll: f64,
    /// All bits of the songs ÷ their note onsets.
    pub joint_bits_per_note: f64,
    /// Pitch bits per note onset (softmax renormalised over the pitch tokens).
    pub pitch_bits_per_note: f64,
    /// Mean NLL over onset targets (anything but `_`), in bits.
    pub onset_bits: f64,
    /// Share of tokens where the most likely token is right.
    pub accuracy: f64,
    /// Songs evaluated.
    pub songs: usize,
    /// Tokens evaluated (terminators included).
    pub tokens: usize,
    /// Note onsets among them.
    pub notes: usize,
    /// The terminator's probability summed over every step, per song: how many ends the model
    /// foresees for each one that comes (1 when it foresees them as often as they come).
    #[serde(default)]
    pub ends_foreseen: f64,
}

/// Negative log-likelihood and accuracy over a set of windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean NLL per target token, in nats.
    pub nll: f64,
    /// Mean NLL over onset targets only (targets other than the hold `_`), in nats.
    pub onset_nll: f64,
    /// Share of targets where the most likely token is right.
    pub accuracy: f64,
    /// Number of windows (targets) evaluated.
    pub windows: usize,
    /// Number of onset targets among them.
    pub onsets: usize,
}

impl From<SongMetrics> for Metrics {
    /// A whole-song result in the window metric's fields (for progress and validation):
    /// `windows` counts tokens and `onsets` note onsets.
    fn from(songs: SongMetrics) -> Self {
        Self {
            nll: songs.nll,
            onset_nll: songs.onset_bits * std::f64::consts::LN_2,
            accuracy: songs.accuracy,
            windows: songs.tokens,
            onsets: songs.notes,
        }
    }
}

impl Metrics {
    /// Onset NLL in bits (as the tutorial's comparison figures are given).
    pub fn onset_bits(&self) -> f64 {
        self.onset_nll / std::f64::consts::LN_2
    }
}
