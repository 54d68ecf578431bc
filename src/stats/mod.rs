//! Statistics of generated tunes against held-out songs, as MGEval (Yang & Lerch 2018) does it.
//!
//! Each melody gets a set of features ([`features`]): counts, pitch and note-length histograms
//! and their transition matrices, the ending, bar completeness and repetition. A generated set
//! is compared with a reference (held-out) set feature by feature ([`compare`]): the distances
//! between pairs of melodies inside the reference set and between the two sets are smoothed
//! into densities, and their overlap area and KL divergence say how alike the sets are. Two
//! random halves of the reference set give the ceiling to read them against. [`copies`] finds
//! generated tunes that repeat three or more bars of a training song note for note.
//! [`profile`] sums a set's distributions for drawing, and [`panel`] puts it all together for
//! the page, against the statistics a model file carries ([`Reference`]).

pub mod compare;
pub mod copies;
pub mod features;
pub mod panel;
pub mod profile;

pub use compare::{
    Divergence, FeatureReport, REFERENCE_DIGITS, REFERENCE_SONGS, Reference, Report, SetRates,
    compare, compare_with, divergence,
};
pub use copies::{CopyIndex, CopyReport, NearCopy, near_copies};
pub use features::Feature;
pub use panel::{Comparison, PANEL_TUNES, compare_tunes};
pub use profile::Profile;

use crate::encoding::grid::Token;

/// A tune or song as the statistics see it: grid tokens (no terminator) and where its bars fall.
#[derive(Clone, Debug, PartialEq)]
pub struct Melody {
    /// Grid tokens, one per step, without the terminator.
    pub tokens: Vec<Token>,
    /// Grid steps per bar (e.g. 12 for 3/4 on the 1/16 grid); 0 when unknown (the melody is
    /// then treated as one bar).
    pub bar_steps: usize,
    /// Steps before the first full bar (a pickup), 0..bar_steps.
    pub pickup_steps: usize,
    /// Pitch class of the tonic (0..12).
    pub tonic_pc: u8,
}

impl Melody {
    /// The pickup's length in steps as sliced: `pickup_steps` modulo a bar, at most the whole
    /// melody, and 0 when the bar length is unknown.
    pub fn pickup_len(&self) -> usize {
        match self.bar_steps {
            0 => 0,
            b => (self.pickup_steps % b).min(self.tokens.len()),
        }
    }

    /// The melody cut into bars: the pickup first (when there is one), then `bar_steps` steps
    /// each, the last possibly short. One bar when the bar length is unknown; none when empty.
    pub fn bars(&self) -> Vec<&[Token]> {
        if self.tokens.is_empty() {
            return Vec::new();
        }
        if self.bar_steps == 0 {
            return vec![&self.tokens];
        }
        let (pickup, rest) = self.tokens.split_at(self.pickup_len());
        let pickup = (!pickup.is_empty()).then_some(pickup);
        pickup
            .into_iter()
            .chain(rest.chunks(self.bar_steps))
            .collect()
    }

    /// The bars after the pickup ([`Melody::bars`] without it).
    pub fn bars_after_pickup(&self) -> Vec<&[Token]> {
        let mut bars = self.bars();
        if self.pickup_len() > 0 {
            bars.remove(0);
        }
        bars
    }

    /// Its form: a letter for each bar after the pickup, the same letter where a bar repeats
    /// an earlier one (`a` for the first bar, `b` for the next new one, and so on; `?` past
    /// 52 different bars), in groups of four bars.
    pub fn form(&self) -> String {
        const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut seen: Vec<&[Token]> = Vec::new();
        let mut form = String::new();
        for (j, bar) in self.bars_after_pickup().into_iter().enumerate() {
            let index = seen.iter().position(|&b| b == bar).unwrap_or_else(|| {
                seen.push(bar);
                seen.len() - 1
            });
            if j > 0 && j % 4 == 0 {
                form.push(' ');
            }
            form.push(LETTERS.get(index).map_or('?', |&l| char::from(l)));
        }
        form
    }

    /// Whether the melody fills whole bars: with a pickup, the pickup and the last bar add up
    /// to one bar; without, the last bar is full. True when the bar length is unknown.
    pub fn whole_bars(&self) -> bool {
        self.bar_steps == 0 || self.tokens.len().is_multiple_of(self.bar_steps)
    }
}

/// The tonic's pitch class of a transposed tune in `mode` (major when it is not known).
fn tonic_of(mode: Option<crate::song::Mode>) -> u8 {
    crate::encoding::grid::transposed_tonic(mode.unwrap_or(crate::song::Mode::Major))
}

impl Melody {
    /// A corpus song with its grid `tokens` (transposed, as the model sees it): bars from its
    /// first meter, the pickup from its first bar.
    pub fn from_song(
        song: &crate::song::Song,
        tokens: &[Token],
        step: crate::encoding::grid::Step,
    ) -> Melody {
        let bar = song
            .meters
            .first()
            .and_then(|m| m.steps(step.quarters()))
            .unwrap_or(0);
        let first = song.bars(step.quarters()).first().map_or(0, |b| b.len);
        Melody {
            tokens: tokens.to_vec(),
            bar_steps: bar,
            pickup_steps: if first < bar { first } else { 0 },
            tonic_pc: tonic_of(Some(song.key.mode)),
        }
    }

    /// A written tune: bars from the meter it was written in (`fallback` for an unconditioned
    /// model), its pickup, and the tonic of its mode (C when the mode is not known).
    pub fn from_written(
        tune: &crate::generate::Written,
        fallback: crate::song::Meter,
        step: crate::encoding::grid::Step,
    ) -> Melody {
        Melody::barred(
            &tune.tokens,
            tune.meter.unwrap_or(fallback),
            tune.pickup,
            tune.mode,
            step,
        )
    }

    /// A tune's grid `tokens` barred by `meter` (grid `step`) from its pickup of `pickup`
    /// steps, with the tonic of its mode (C when the mode is not known).
    pub fn barred(
        tokens: &[Token],
        meter: crate::song::Meter,
        pickup: usize,
        mode: Option<crate::song::Mode>,
        step: crate::encoding::grid::Step,
    ) -> Melody {
        Melody {
            tokens: tokens.to_vec(),
            bar_steps: meter.steps(step.quarters()).unwrap_or(0),
            pickup_steps: pickup,
            tonic_pc: tonic_of(mode),
        }
    }
}
