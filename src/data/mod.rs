//! Training data: whole songs with their conditioning inputs, windows over the songs' id
//! sequences (the tutorial's recipe), and the split.

#[cfg(feature = "training")]
pub mod batch;
pub mod clock;
pub mod condition;
pub mod contour;
pub mod dataset;
pub mod meters;
pub mod songs;
pub mod split;
pub mod windows;

pub use clock::Clock;
pub use condition::{Conditioning, INPUTS_PER_STEP, Layout};
pub use contour::Contour;
pub use dataset::Dataset;
pub use songs::{SongChunk, SongSeq};
pub use split::{SongSplit, Split, SplitConfig, SplitMode, split, split_songs};
pub use windows::Windows;
