//! Whole songs for training and evaluation: each song is read from a start token to its
//! terminator with the state carried throughout, in batches of songs of similar length.
//!
//! A batch row is `start, song…` as input and `song…, terminator` as target, padded after the
//! song's end. Padding comes only after a row's last real step, so it can change neither the
//! row's real outputs nor the state carried out of a chunk that the row continues in; its
//! targets carry weight 0 in the loss.

use rand::Rng;
use rand::seq::SliceRandom;

use super::condition::INPUTS_PER_STEP;
use crate::encoding::vocab::END_ID;

/// One song: its token ids (no terminator) and, for a conditioned model, the inputs of each of
/// its `len + 1` steps ([`super::condition::Conditioning::song_inputs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SongSeq {
    /// Token ids without the terminator.
    pub ids: Vec<u32>,
    /// Conditioning inputs, `(ids.len() + 1) × INPUTS_PER_STEP`, or empty.
    pub inputs: Vec<u32>,
}

impl SongSeq {
    /// Steps the model reads for this song (start token and every token).
    pub fn steps(&self) -> usize {
        self.ids.len() + 1
    }
}

/// A padded piece of a batch of songs: `rows × len` steps.
#[derive(Clone, Debug, PartialEq)]
pub struct SongChunk {
    /// Rows (songs) in the batch.
    pub rows: usize,
    /// Steps in this chunk.
    pub len: usize,
    /// Input ids, `rows × len`.
    pub ids: Vec<u32>,
    /// Conditioning inputs, `rows × len × INPUTS_PER_STEP` (empty when unconditioned).
    pub inputs: Vec<u32>,
    /// Target ids, `rows × len` (padding: the terminator's id, with weight 0).
    pub targets: Vec<u32>,
    /// 1 for a real target, 0 for padding.
    pub weights: Vec<f32>,
    /// Whether a later chunk of the same batch follows (carry the state into it).
    pub continues: bool,
}

impl SongChunk {
    /// Real (weighted) targets in the chunk.
    pub fn targets_count(&self) -> usize {
        self.weights.iter().filter(|&&w| w > 0.0).count()
    }
}

/// Cuts the batch of `songs` (indices into `set`) into chunks of at most `chunk` steps. Each
/// row reads `start` terminators (1 for whole songs; the tutorial's model reads 64) and then the
/// song; the targets are the song's tokens and the terminator, predicted from the last start
/// token on.
pub fn chunks(set: &[SongSeq], songs: &[usize], start: usize, chunk: usize) -> Vec<SongChunk> {
    let chunk = chunk.max(1);
    let start = start.max(1);
    let rows = songs.len();
    let total = songs
        .iter()
        .map(|&s| set[s].steps() + start - 1)
        .max()
        .unwrap_or(0);
    let conditioned = songs.iter().any(|&s| !set[s].inputs.is_empty());
    let width = INPUTS_PER_STEP;
    let mut out = Vec::new();
    let mut from = 0;
    while from < total {
        let len = chunk.min(total - from);
        let mut piece = SongChunk {
            rows,
            len,
            ids: vec![END_ID; rows * len],
            inputs: if conditioned {
                vec![0; rows * len * width]
            } else {
                Vec::new()
            },
            targets: vec![END_ID; rows * len],
            weights: vec![0.0; rows * len],
            continues: from + len < total,
        };
        for (row, &s) in songs.iter().enumerate() {
            let song = &set[s];
            for t in from..(from + len).min(song.steps() + start - 1) {
                let at = row * len + t - from;
                if t >= start {
                    piece.ids[at] = song.ids[t - start];
                }
                let Some(j) = (t + 1).checked_sub(start) else {
                    continue;
                };
                piece.targets[at] = song.ids.get(j).copied().unwrap_or(END_ID);
                piece.weights[at] = 1.0;
                if let Some(inputs) = song.inputs.get(j * width..(j + 1) * width) {
                    piece.inputs[at * width..(at + 1) * width].copy_from_slice(inputs);
                }
            }
        }
        out.push(piece);
        from += len;
    }
    out
}

/// An epoch's batches: `songs` sorted by length (ties in random order), cut into batches of
/// `batch` songs of similar length, in random order.
pub fn epoch_batches(
    set: &[SongSeq],
    songs: &[usize],
    batch: usize,
    rng: &mut impl Rng,
) -> Vec<Vec<usize>> {
    let mut order = songs.to_vec();
    order.shuffle(rng);
    order.sort_by_key(|&s| set[s].steps());
    let mut batches: Vec<Vec<usize>> = order.chunks(batch.max(1)).map(<[usize]>::to_vec).collect();
    batches.shuffle(rng);
    batches
}

/// Mean number of targets (steps) in a batch of `batch` of these `songs`: a fixed scale for
/// the loss, so that every target weighs the same whichever batch or chunk it falls in.
pub fn targets_per_batch(set: &[SongSeq], songs: &[usize], batch: usize) -> f64 {
    let steps: usize = songs.iter().map(|&s| set[s].steps()).sum();
    steps as f64 / songs.len().div_ceil(batch.max(1)).max(1) as f64
}

/// Batches of songs of similar length, in a fixed order (for evaluation).
pub fn eval_batches(set: &[SongSeq], songs: &[usize], batch: usize) -> Vec<Vec<usize>> {
    let mut order = songs.to_vec();
    order.sort_by_key(|&s| set[s].steps());
    order.chunks(batch.max(1)).map(<[usize]>::to_vec).collect()
}
