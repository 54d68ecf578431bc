//! Training data: windows over the songs' id sequences and the split.

pub mod dataset;
pub mod split;
pub mod windows;

pub use dataset::{Dataset, SEQUENCE_LEN};
pub use split::{Split, SplitConfig, SplitMode, split};
pub use windows::Windows;
