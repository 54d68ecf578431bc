//! Training data: whole songs with their conditioning inputs, windows over the songs' id
//! sequences (the seed's recipe), and the split.

#[cfg(feature = "training")]
pub mod batch;
pub mod condition;
pub mod dataset;
pub mod songs;
pub mod split;
pub mod windows;

pub use condition::{Clock, Conditioning, Contour, INPUTS_PER_STEP};
pub use dataset::Dataset;
pub use songs::{SongChunk, SongSeq};
pub use split::{SongSplit, Split, SplitConfig, SplitMode, opening, split, split_songs};
pub use windows::Windows;
