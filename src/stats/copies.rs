//! Near copies: generated tunes that repeat whole bars of a training song note for note.
//!
//! A generated tune copies a training song when [`MIN_COPY_BARS`] or more of its consecutive
//! full bars (the pickup and a short last bar left out) are, token for token, consecutive full
//! bars of the song (on the song's own bar lines, in the same bar length). Every run of that
//! many bars of every training song is indexed by a 64-bit FNV-1a hash ([`CopyIndex`]); a
//! tune's runs are looked up and each match is extended bar by bar. The index holds hashes and
//! names only, so it can ship beside a model whose songs cannot.

use std::cmp::Reverse;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Melody;
use super::features::share;
use crate::corpus::EncodedSong;
use crate::encoding::grid::{Step, Token};

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
    CopyIndex::new(training, Vec::new()).find(generated)
}

/// The training songs' runs of [`MIN_COPY_BARS`] bars, hashed, and their names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CopyIndex {
    /// Each song's name (may be empty).
    pub names: Vec<String>,
    /// Each song's runs: the hash of the run starting at each full bar, in order.
    pub runs: Vec<Vec<u64>>,
    /// Where each hash occurs: (song, first bar), built on first use.
    #[serde(skip)]
    places: std::sync::OnceLock<HashMap<u64, Vec<(u32, u32)>>>,
}

impl CopyIndex {
    /// Indexes `training`, named by `names` (matched by position; missing names are empty).
    pub fn new(training: &[Melody], names: Vec<String>) -> CopyIndex {
        CopyIndex {
            names,
            runs: training.iter().map(runs).collect(),
            places: std::sync::OnceLock::new(),
        }
    }

    /// Indexes songs as a corpus read and encoded them, each named by
    /// [`crate::song::Song::display_name`].
    pub fn of_songs<'a>(songs: impl IntoIterator<Item = &'a EncodedSong>, step: Step) -> CopyIndex {
        let (melodies, names): (Vec<Melody>, Vec<String>) = songs
            .into_iter()
            .map(|s| {
                (
                    Melody::from_song(&s.song, &s.tokens, step),
                    s.song.display_name(),
                )
            })
            .unzip();
        CopyIndex::new(&melodies, names)
    }

    /// The name of training song `song` (empty when not known).
    pub fn name(&self, song: usize) -> &str {
        self.names.get(song).map_or("", String::as_str)
    }

    fn places(&self) -> &HashMap<u64, Vec<(u32, u32)>> {
        self.places.get_or_init(|| {
            let mut places: HashMap<u64, Vec<(u32, u32)>> = HashMap::new();
            for (song, runs) in self.runs.iter().enumerate() {
                for (bar, &hash) in runs.iter().enumerate() {
                    places
                        .entry(hash)
                        .or_default()
                        .push((song as u32, bar as u32));
                }
            }
            places
        })
    }

    /// The generated tunes that copy an indexed song, each with its longest copy.
    pub fn find(&self, generated: &[Melody]) -> CopyReport {
        let copies: Vec<NearCopy> = generated
            .iter()
            .enumerate()
            .filter_map(|(g, m)| {
                let (training, bars) = self.longest_copy(&runs(m))?;
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

    /// The longest copy among a tune's runs: (training song, length in bars), or `None`.
    /// Ties go to the first training song.
    fn longest_copy(&self, tune: &[u64]) -> Option<(usize, usize)> {
        let places = self.places();
        (0..tune.len())
            .flat_map(|start| {
                let found = places.get(&tune[start]).map_or(&[][..], Vec::as_slice);
                found.iter().map(move |&(song, bar)| {
                    let song_runs = &self.runs[song as usize][bar as usize..];
                    let matching = tune[start..]
                        .iter()
                        .zip(song_runs)
                        .take_while(|(a, b)| a == b)
                        .count();
                    (song as usize, matching + MIN_COPY_BARS - 1)
                })
            })
            .max_by_key(|&(song, bars)| (bars, Reverse(song)))
    }
}

/// The hashes of a melody's runs of [`MIN_COPY_BARS`] full bars, one per starting bar (none
/// when the bar length is unknown).
fn runs(m: &Melody) -> Vec<u64> {
    let b = m.bar_steps;
    if b == 0 {
        return Vec::new();
    }
    let body = &m.tokens[m.pickup_len()..];
    let full = &body[..body.len() / b * b];
    full.windows(MIN_COPY_BARS * b)
        .step_by(b)
        .map(|run| fnv1a(b, run))
        .collect()
}

/// 64-bit FNV-1a of the bar length and the tokens: a hash whose definition is fixed, so an
/// index written by one build is read by any other.
fn fnv1a(bar_steps: usize, tokens: &[Token]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let code = |t: &Token| match *t {
        Token::Note(p) => p,
        Token::Rest => 253,
        Token::Hold => 254,
        Token::End => 255,
    };
    (bar_steps as u64)
        .to_le_bytes()
        .into_iter()
        .chain(tokens.iter().map(code))
        .fold(OFFSET, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(PRIME)
        })
}
