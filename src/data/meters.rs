//! What a conditioned model knows of the meters of its training songs: which meters, how
//! often, how often in minor, and how their songs begin and how long they are. Writing draws a
//! tune's meter, mode, pickup and length from these priors when none is asked for.

use serde::{Deserialize, Serialize};

use super::condition::BARS;
use crate::encoding::grid::Step;
use crate::song::{Meter, Mode, Song};

/// How often a meter occurs in the training songs, and how its songs begin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeterPrior {
    /// The meter.
    pub meter: Meter,
    /// Share of the training songs in this meter.
    pub share: f64,
    /// Share of them in minor.
    pub minor: f64,
    /// Share of them by pickup length in grid steps (index 0: no pickup).
    pub pickups: Vec<f64>,
    /// Share of them by length in bars (index `n`: `n` bars, the pickup counting as one).
    #[serde(default)]
    pub bars: Vec<f64>,
}

/// Meters rarer than this share of the songs are learnt as "another meter".
const MIN_METER_SHARE: f64 = 0.002;

/// The training songs in one meter, counted.
struct MeterCount {
    meter: Meter,
    songs: usize,
    minor: usize,
    /// Songs by pickup length in grid steps.
    pickups: Vec<usize>,
    /// Songs by length in bars.
    bars: Vec<usize>,
}

/// The meters of `songs` (their first meter) with their priors on the grid `step`, most common
/// first; meters rarer than [`MIN_METER_SHARE`] are left out.
pub fn meter_priors<'a>(songs: impl IntoIterator<Item = &'a Song>, step: Step) -> Vec<MeterPrior> {
    let mut counts: Vec<MeterCount> = Vec::new();
    let mut total = 0usize;
    for song in songs {
        let Some(&meter) = song.meters.first() else {
            continue;
        };
        let Some(bar) = meter.steps(step.quarters()) else {
            continue;
        };
        total += 1;
        let spans = song.bars(step.quarters());
        let pickup = spans
            .first()
            .map_or(0, |b| if b.len < bar { b.len } else { 0 });
        let at = match counts.iter().position(|c| c.meter == meter) {
            Some(at) => at,
            None => {
                counts.push(MeterCount {
                    meter,
                    songs: 0,
                    minor: 0,
                    pickups: vec![0; bar],
                    bars: vec![0; BARS + 1],
                });
                counts.len() - 1
            }
        };
        let entry = &mut counts[at];
        entry.songs += 1;
        entry.minor += usize::from(song.key.mode == Mode::Minor);
        entry.pickups[pickup.min(bar - 1)] += 1;
        entry.bars[spans.len().min(BARS)] += 1;
    }
    counts.sort_by(|a, b| {
        b.songs
            .cmp(&a.songs)
            .then(a.meter.numerator.cmp(&b.meter.numerator))
    });
    counts
        .into_iter()
        .filter(|c| c.songs as f64 >= MIN_METER_SHARE * total as f64)
        .map(|c| {
            let n = c.songs as f64;
            MeterPrior {
                meter: c.meter,
                share: n / total.max(1) as f64,
                minor: c.minor as f64 / n,
                pickups: c.pickups.iter().map(|&p| p as f64 / n).collect(),
                bars: c.bars.iter().map(|&b| b as f64 / n).collect(),
            }
        })
        .collect()
}
