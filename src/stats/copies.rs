//! Near copies: generated tunes that repeat whole bars of a training song note for note.
//!
//! A generated tune copies a training song when [`MIN_COPY_BARS`] or more of its consecutive
//! full bars (the pickup and a short last bar left out) occur as one contiguous run of tokens
//! anywhere in the song, at any offset. The training songs' token runs of that many bars are
//! indexed once per bar length, and each match is extended bar by bar.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::Melody;
use super::features::share;
use crate::encoding::grid::Token;

/// The fewest consecutive bars that make a copy.
pub const MIN_COPY_BARS: usize = 3;

/// One generated tune's longest copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearCopy {
    /// Index of the generated tune.
    pub generated: usize,
    /// Index of the training song it copies (the first one, when several hold the longest run).
    pub training: usize,
    /// Length of the copied run in bars.
    pub bars: usize,
}

/// Near copies over a generated set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CopyReport {
    /// Share of generated tunes with a copy.
    pub near_copies: f64,
    /// The longest copied run in bars over all generated tunes (0 when none).
    pub longest_copy_bars: usize,
    /// Each copying tune, in generated order.
    pub copies: Vec<NearCopy>,
}

/// Finds the generated tunes that copy [`MIN_COPY_BARS`] or more bars of a training song.
/// Tunes with an unknown bar length are never copies.
pub fn near_copies(generated: &[Melody], training: &[Melody]) -> CopyReport {
    let bar_lengths: BTreeSet<usize> = generated
        .iter()
        .map(|m| m.bar_steps)
        .filter(|&b| b > 0)
        .collect();
    let indexes: HashMap<usize, Index> = bar_lengths
        .into_iter()
        .map(|b| (b, Index::new(training, MIN_COPY_BARS * b)))
        .collect();
    let copies: Vec<NearCopy> = generated
        .iter()
        .enumerate()
        .filter_map(|(g, m)| {
            let (training, bars) = longest_copy(m, indexes.get(&m.bar_steps)?, training)?;
            Some(NearCopy {
                generated: g,
                training,
                bars,
            })
        })
        .collect();
    CopyReport {
        near_copies: share(copies.len(), generated.len()),
        longest_copy_bars: copies.iter().map(|c| c.bars).max().unwrap_or(0),
        copies,
    }
}

/// Where a token run occurs in a training song.
struct Place {
    /// Index of the training song.
    song: usize,
    /// Step where the run starts.
    offset: usize,
    /// The run's previous place in [`Index::places`], if any.
    previous: Option<usize>,
}

/// Every place of every token run of one length in the training songs.
struct Index<'a> {
    /// Each run's last place in `places`.
    last: HashMap<&'a [Token], usize>,
    /// All places, chained per run through [`Place::previous`].
    places: Vec<Place>,
}

impl<'a> Index<'a> {
    /// Indexes every run of `len` tokens of the training songs.
    fn new(training: &'a [Melody], len: usize) -> Index<'a> {
        let mut index = Index {
            last: HashMap::new(),
            places: Vec::new(),
        };
        for (song, m) in training.iter().enumerate() {
            for (offset, run) in m.tokens.windows(len).enumerate() {
                let previous = index.last.insert(run, index.places.len());
                index.places.push(Place {
                    song,
                    offset,
                    previous,
                });
            }
        }
        index
    }

    /// The places where `run` occurs.
    fn find(&self, run: &[Token]) -> impl Iterator<Item = &Place> {
        let first = self.last.get(run).map(|&i| &self.places[i]);
        std::iter::successors(first, |p| p.previous.map(|i| &self.places[i]))
    }
}

/// The longest copy in a tune: (training song, run length in bars), or `None` when it has no
/// run of [`MIN_COPY_BARS`] bars in any training song. Ties go to the first training song.
fn longest_copy(m: &Melody, index: &Index, training: &[Melody]) -> Option<(usize, usize)> {
    let b = m.bar_steps;
    let body = &m.tokens[m.pickup_len()..];
    let full = &body[..body.len() / b * b];
    let starts = (full.len() / b + 1).saturating_sub(MIN_COPY_BARS);
    (0..starts)
        .flat_map(|start| {
            let tail = &full[start * b..];
            index.find(&tail[..MIN_COPY_BARS * b]).map(move |place| {
                let source = &training[place.song].tokens[place.offset..];
                (place.song, shared_bars(tail, source, b))
            })
        })
        .max_by_key(|&(song, bars)| (bars, Reverse(song)))
}

/// How many of the leading bars (of `b` steps) of `bars` `source` starts with.
fn shared_bars(bars: &[Token], source: &[Token], b: usize) -> usize {
    bars.chunks_exact(b)
        .zip(source.chunks(b))
        .take_while(|(x, y)| x == y)
        .count()
}
