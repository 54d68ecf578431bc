//! The form of a tune: which of its bars repeat the bar a phrase or two back, drawn as the
//! songs' forms go.
//!
//! Folk songs repeat their phrases: of the bars of the German songs that repeat an earlier
//! bar, most repeat the bar four or eight back. The network alone writes few such repeats (its
//! tunes repeat about a third as many bars as the songs do). A model file may carry a
//! [`FormPrior`] counted from its training and validation songs: for each bar after the
//! pickup, the chance that it is the same as the bar four or eight back ([`DISTANCES`]), given
//! what the bar before it was and the bar's place in its four-bar phrase. Writing draws each
//! bar's place at its bar line and, for a repeat, plays the earlier bar again through the
//! network, so that its state follows; the network still decides at every step whether the
//! tune ends, and writes every other bar.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::data::{INPUTS_PER_STEP, SongSeq};

/// How many bars back a repeat reaches: one phrase of four bars, or two.
pub const DISTANCES: [usize; 2] = [4, 8];

/// A bar's places in a form: 0 new, `i + 1` the same as the bar [`DISTANCES`]`[i]` back.
const PLACES: usize = DISTANCES.len() + 1;

/// Bars per phrase, for the bar's place in its phrase.
const PHRASE: usize = 4;

/// Seed offset of the draws of forms (apart from the sampler's draws of the same tune).
pub(super) const FORMS_SEED: u64 = 0x0066_6f72_6d73;

/// Chances of each bar's place in the form, counted from songs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormPrior {
    /// `[place of the bar before][bar index mod 4][place of the bar]`, each row summing to 1.
    pub next: Vec<Vec<Vec<f64>>>,
}

impl FormPrior {
    /// The prior of songs given as their bars after the pickup (each bar its ids).
    pub fn fit<'a>(songs: impl IntoIterator<Item = Vec<&'a [u32]>>) -> Self {
        // A little of every place in every context, so that no row is empty.
        let mut counts = vec![vec![vec![0.01; PLACES]; PHRASE]; PLACES];
        for bars in songs {
            let mut before = 0;
            for j in 1..bars.len() {
                let now = place(&bars, j);
                counts[before][j % PHRASE][now] += 1.0;
                before = now;
            }
        }
        for row in counts.iter_mut().flatten() {
            let total: f64 = row.iter().sum();
            row.iter_mut().for_each(|p| *p /= total);
        }
        Self { next: counts }
    }

    /// Draws with `rng` which earlier bar bar `j` (after the pickup) repeats, after a bar whose
    /// place was `before` ([`place`]): how many bars back, or `None` for a new bar.
    pub fn draw(&self, before: usize, j: usize, rng: &mut impl Rng) -> Option<usize> {
        let row = self.next.get(before)?.get(j % PHRASE)?;
        let mut left = rng.random::<f64>();
        let drawn = row.iter().position(|&p| {
            left -= p;
            left < 0.0
        })?;
        let back = *DISTANCES.get(drawn.checked_sub(1)?)?;
        (back <= j).then_some(back)
    }
}

/// The place of bar `j` of `bars` in its form: 0 new, `i + 1` the same as the bar
/// [`DISTANCES`]`[i]` back (the nearest such).
pub fn place(bars: &[&[u32]], j: usize) -> usize {
    DISTANCES
        .iter()
        .position(|&d| d <= j && bars[j] == bars[j - d])
        .map_or(0, |i| i + 1)
}

/// The bars of a song after its pickup, from its inputs' positions in the bar (the slot
/// `position_slot` of each step: 0 on a bar line).
pub fn song_bars(song: &SongSeq, position_slot: usize) -> Vec<&[u32]> {
    let on_bar_line = |s: usize| song.inputs.get(s * INPUTS_PER_STEP + position_slot) == Some(&0);
    let mut lines: Vec<usize> = (0..song.ids.len()).filter(|&s| on_bar_line(s)).collect();
    lines.push(song.ids.len());
    lines
        .windows(2)
        .map(|pair| &song.ids[pair[0]..pair[1]])
        .collect()
}

/// The complete bars of a tune being written, after its pickup of `pickup` steps, in bars of
/// `bar_steps`.
pub fn tune_bars(ids: &[u32], pickup: usize, bar_steps: usize) -> Vec<&[u32]> {
    ids.get(pickup..)
        .unwrap_or(&[])
        .chunks_exact(bar_steps.max(1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn a_bar_takes_the_place_of_the_nearest_phrase_it_repeats() {
        let (a, b, c): (&[u32], &[u32], &[u32]) = (&[1, 2], &[3, 4], &[5, 6]);
        let bars = [a, b, a, b, a, c, a, c, a];
        assert_eq!(place(&bars, 2), 0, "two back is no phrase");
        assert_eq!(place(&bars, 4), 1, "four back");
        assert_eq!(place(&bars, 5), 0);
        assert_eq!(place(&bars, 8), 1, "four back before eight");
        let bars = [a, b, b, b, c, b, b, b, a];
        assert_eq!(place(&bars, 8), 2, "eight back");
    }

    #[test]
    fn a_prior_of_songs_that_repeat_their_first_phrase_draws_that_repeat() {
        let (a, b, c, d): (&[u32], &[u32], &[u32], &[u32]) = (&[1], &[2], &[3], &[4]);
        let prior = FormPrior::fit(vec![vec![a, b, c, d, a, b, c, d]; 20]);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let draws: Vec<Option<usize>> = (0..100).map(|_| prior.draw(0, 4, &mut rng)).collect();
        assert!(
            draws.iter().filter(|&&d| d == Some(4)).count() > 90,
            "the fifth bar repeats the first: {draws:?}"
        );
        assert!(
            (0..100).all(|_| prior.draw(1, 5, &mut rng) == Some(4)),
            "and the sixth the second"
        );
        assert!(
            (0..100).all(|_| prior.draw(1, 2, &mut rng).is_none()),
            "never back before the first bar"
        );
        for row in prior.next.iter().flatten() {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn a_songs_bars_follow_its_bar_lines_and_leave_the_pickup_out() {
        let slots = |positions: &[u32]| -> Vec<u32> {
            positions
                .iter()
                .flat_map(|&p| {
                    let mut step = [0; INPUTS_PER_STEP];
                    step[2] = p;
                    step
                })
                .collect()
        };
        let song = SongSeq {
            ids: vec![7, 1, 2, 3, 4, 5],
            inputs: slots(&[1, 0, 1, 0, 1, 0, 1]),
        };
        assert_eq!(song_bars(&song, 2), [&[1, 2][..], &[3, 4], &[5]]);
    }

    #[test]
    fn a_tunes_bars_start_after_its_pickup_and_are_whole() {
        let ids: Vec<u32> = (0..11).collect();
        assert_eq!(tune_bars(&ids, 3, 4), [&[3, 4, 5, 6][..], &[7, 8, 9, 10]]);
        assert!(tune_bars(&ids, 12, 4).is_empty());
    }
}
