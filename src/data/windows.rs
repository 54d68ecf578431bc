//! Fixed-length training windows as views into one flat id buffer.
//!
//! The buffer is `pad, song₀, pad, song₁, …, pad` with `pad` = `sequence_len`
//! terminator ids, which is exactly the tutorial's "pad each song with
//! `sequence_len` terminators on both sides" without copying: a window at
//! position `p` of song `s` (0 ≤ p ≤ len(s)) reads its input from the
//! `sequence_len` ids before `song_start + p` and predicts the id at
//! `song_start + p` (for p = len(s), the terminator after the song).

use std::ops::Range;

use crate::encoding::vocab::END_ID;

/// All windows of a set of songs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    ids: Vec<u32>,
    sequence_len: usize,
    /// Offset in `ids` of each window's first input id.
    starts: Vec<usize>,
    /// For each song, the range of its windows in `starts`.
    songs: Vec<Range<usize>>,
}

impl Windows {
    /// Builds every window of `songs` (id sequences without terminator): `len + 1` per song,
    /// as the tutorial. [`Windows::strided`] picks a subset for the all-positions loss.
    pub fn new<S: AsRef<[u32]>>(songs: &[S], sequence_len: usize) -> Windows {
        let total: usize = songs.iter().map(|s| s.as_ref().len()).sum();
        let mut ids = Vec::with_capacity(total + (songs.len() + 1) * sequence_len);
        ids.resize(sequence_len, END_ID);
        let mut starts = Vec::with_capacity(total + songs.len());
        let mut ranges = Vec::with_capacity(songs.len());
        for song in songs {
            let song = song.as_ref();
            let first_window = starts.len();
            let song_start = ids.len();
            starts.extend((0..=song.len()).map(|p| song_start - sequence_len + p));
            ranges.push(first_window..starts.len());
            ids.extend_from_slice(song);
            ids.resize(ids.len() + sequence_len, END_ID);
        }
        Windows {
            ids,
            sequence_len,
            starts,
            songs: ranges,
        }
    }

    /// The windows among `indices` at positions `phase`, `phase + stride`, … of their song,
    /// plus the last window of each song (the one predicting its terminator), in the order
    /// given. With the all-positions loss a window teaches `sequence_len` targets, so a stride
    /// up to `sequence_len` still shows every target; a new phase each epoch varies the
    /// context each target is seen with. A stride of 0 is read as 1.
    pub fn strided(&self, indices: &[usize], stride: usize, phase: usize) -> Vec<usize> {
        let stride = stride.max(1);
        let phase = phase % stride;
        let mut keep = vec![false; self.len()];
        for range in &self.songs {
            for i in range.clone() {
                keep[i] = (i - range.start) % stride == phase || i + 1 == range.end;
            }
        }
        indices
            .iter()
            .copied()
            .filter(|&i| keep.get(i).copied().unwrap_or(false))
            .collect()
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// True when there are no windows (no songs).
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Input length of each window.
    pub fn sequence_len(&self) -> usize {
        self.sequence_len
    }

    /// Number of songs.
    pub fn songs(&self) -> usize {
        self.songs.len()
    }

    /// Indices of the windows of song `song` (empty if out of range).
    pub fn windows_of_song(&self, song: usize) -> Range<usize> {
        self.songs.get(song).cloned().unwrap_or(0..0)
    }

    /// The `sequence_len` input ids of window `i`. Panics if `i >= len()`.
    pub fn input(&self, i: usize) -> &[u32] {
        let s = self.starts[i];
        &self.ids[s..s + self.sequence_len]
    }

    /// Offset in [`Windows::ids`] of window `i`'s first input id. Panics if `i >= len()`.
    pub fn start(&self, i: usize) -> usize {
        self.starts[i]
    }

    /// The id window `i` predicts. Panics if `i >= len()`.
    pub fn target(&self, i: usize) -> u32 {
        self.ids[self.starts[i] + self.sequence_len]
    }

    /// The next-token targets of every input position of window `i` (the
    /// input shifted by one), for the all-positions loss. Panics if `i >= len()`.
    pub fn targets_all(&self, i: usize) -> &[u32] {
        let s = self.starts[i] + 1;
        &self.ids[s..s + self.sequence_len]
    }

    /// The whole flat buffer (pads and songs).
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
}
