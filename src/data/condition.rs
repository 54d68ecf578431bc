//! What the model is told at every step besides the token: the meter, the mode, where the step
//! falls in its bar, how far it is from a whole number of bars since the start, which bar it is
//! in, and how many bars are left. A musician chooses the meter and the mode; the length in
//! bars is drawn from the songs in that meter, and the rest follows from the clock.
//!
//! Every input is a small class id, so the network adds one learnt row per input to its first
//! layer's gates (the same as one-hot inputs times a weight matrix). The inputs of step `s`
//! describe grid step `s` of the song: the step whose token the model predicts there. Step
//! `len` is the terminator's, so a song that fills its bars ends at phase 0.

use serde::{Deserialize, Serialize};

use crate::encoding::grid::Step;
use crate::song::{Meter, Mode, Song};

/// Classes of the in-bar position (positions past the last are clamped to it).
pub const POSITIONS: usize = 32;
/// Classes of the phase: steps since the start, modulo the bar.
pub const PHASES: usize = 32;
/// Classes of the bar count and of the bars left (larger numbers are clamped to the last).
pub const BARS: usize = 32;

/// The conditioning inputs, in the order they are stored per step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// The meter in force (0: a meter the model does not know).
    Meter,
    /// 0 major, 1 minor.
    Mode,
    /// Steps since the bar line (a pickup counts back from the next one).
    Position,
    /// Steps since the start of the song, modulo the bar.
    Phase,
    /// Bar lines crossed since the start.
    Bar,
    /// Bars left before the end (a model trained without it ignores this column).
    BarsLeft,
}

/// Every input, in storage order.
pub const INPUTS: [Input; 6] = [
    Input::Meter,
    Input::Mode,
    Input::Position,
    Input::Phase,
    Input::Bar,
    Input::BarsLeft,
];

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

/// The conditioning a model was trained with, stored in its file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conditioning {
    /// The meters the model knows (class `i + 1` is `meters[i].meter`), most common first.
    pub meters: Vec<MeterPrior>,
    /// Whether the model is told how many bars are left (files from before it: no).
    #[serde(default)]
    pub bars_left: bool,
}

/// Meters rarer than this share of the songs are learnt as "another meter".
const MIN_METER_SHARE: f64 = 0.002;

impl Conditioning {
    /// The meters of `songs` (their first meter), with their priors, on the grid `step`;
    /// without the bars-left input (set [`Conditioning::bars_left`] to add it).
    pub fn from_songs<'a>(songs: impl IntoIterator<Item = &'a Song>, step: Step) -> Self {
        let mut counts: Vec<(Meter, usize, usize, Vec<usize>, Vec<usize>)> = Vec::new();
        let mut total = 0usize;
        for song in songs {
            let Some(&meter) = song.meters.first() else {
                continue;
            };
            let Some(bar) = bar_steps(meter, step) else {
                continue;
            };
            total += 1;
            let spans = song_bars(song, step);
            let pickup = spans
                .first()
                .map_or(0, |b| if b.len < bar { b.len } else { 0 });
            let at = match counts.iter().position(|c| c.0 == meter) {
                Some(at) => at,
                None => {
                    counts.push((meter, 0, 0, vec![0; bar], vec![0; BARS + 1]));
                    counts.len() - 1
                }
            };
            let entry = &mut counts[at];
            entry.1 += 1;
            entry.2 += usize::from(song.key.mode == Mode::Minor);
            entry.3[pickup.min(bar - 1)] += 1;
            entry.4[spans.len().min(BARS)] += 1;
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.numerator.cmp(&b.0.numerator)));
        let meters = counts
            .into_iter()
            .filter(|c| c.1 as f64 >= MIN_METER_SHARE * total as f64)
            .map(|(meter, n, minor, pickups, bars)| MeterPrior {
                meter,
                share: n as f64 / total.max(1) as f64,
                minor: minor as f64 / n as f64,
                pickups: pickups.iter().map(|&p| p as f64 / n as f64).collect(),
                bars: bars.iter().map(|&b| b as f64 / n as f64).collect(),
            })
            .collect();
        Self {
            meters,
            bars_left: false,
        }
    }

    /// Number of classes of each input the model reads, in [`INPUTS`] order (the bars left only
    /// when it was trained with them).
    pub fn classes(&self) -> Vec<usize> {
        let mut classes = vec![self.meters.len() + 1, 2, POSITIONS, PHASES, BARS];
        if self.bars_left {
            classes.push(BARS + 1);
        }
        classes
    }

    /// The class of `meter` (0 when the model does not know it).
    pub fn meter_class(&self, meter: Meter) -> u32 {
        self.meters
            .iter()
            .position(|m| m.meter == meter)
            .map_or(0, |i| i as u32 + 1)
    }

    /// The prior of `meter`, if the model knows it.
    pub fn prior(&self, meter: Meter) -> Option<&MeterPrior> {
        self.meters.iter().find(|m| m.meter == meter)
    }

    /// The inputs of every step of `song` (`len + 1` steps: the terminator's too), flattened
    /// step by step, [`INPUTS`] order within a step. `len` is the song's number of grid tokens.
    /// The position follows the song's own bar lines, so it follows meter changes.
    pub fn song_inputs(&self, song: &Song, step: Step, len: usize) -> Vec<u32> {
        let mode = u32::from(song.key.mode == Mode::Minor);
        let bars = song_bars(song, step);
        let total = bars.len();
        let mut out = Vec::with_capacity((len + 1) * INPUTS.len());
        let mut meter = song.meters.first().copied();
        for (index, bar) in bars.iter().enumerate() {
            if let Some(m) = bar.meter {
                meter = Some(m);
            }
            let expected = meter
                .and_then(|m| bar_steps(m, step))
                .unwrap_or(bar.len.max(1));
            let offset = if index == 0 && bar.len < expected {
                expected - bar.len
            } else {
                0
            };
            let class = meter.map_or(0, |m| self.meter_class(m));
            for s in bar.start..bar.start + bar.len {
                out.extend(clock_inputs(
                    class,
                    mode,
                    offset + s - bar.start,
                    s,
                    expected,
                    index,
                    total,
                ));
            }
        }
        // The terminator's step: just after the last bar's content.
        let expected = meter.and_then(|m| bar_steps(m, step)).unwrap_or(1);
        let (position, bar) = match bars.last() {
            None => (0, 0),
            Some(last) => {
                let offset = if bars.len() == 1 && last.len < expected {
                    expected - last.len
                } else {
                    0
                };
                let position = offset + last.len;
                if position >= expected {
                    (position - expected, bars.len())
                } else {
                    (position, bars.len() - 1)
                }
            }
        };
        let class = meter.map_or(0, |m| self.meter_class(m));
        out.extend(clock_inputs(
            class, mode, position, len, expected, bar, total,
        ));
        out.truncate((len + 1) * INPUTS.len());
        out
    }
}

/// One step's inputs from the clock's values (`bars`: the song's length in bars).
fn clock_inputs(
    meter: u32,
    mode: u32,
    position: usize,
    step: usize,
    bar_steps: usize,
    bar: usize,
    bars: usize,
) -> [u32; 6] {
    let clamp = |value: usize, classes: usize| value.min(classes - 1) as u32;
    [
        meter,
        mode,
        clamp(position, POSITIONS),
        clamp(step % bar_steps.max(1), PHASES),
        clamp(bar, BARS),
        clamp(bars.saturating_sub(bar), BARS + 1),
    ]
}

/// Grid steps in one bar of `meter`, if the bar is a whole number of steps.
pub fn bar_steps(meter: Meter, step: Step) -> Option<usize> {
    let steps = meter.bar_length() / step.quarters();
    (steps.is_integer() && *steps.numer() > 0).then(|| steps.to_integer() as usize)
}

/// One bar of a song on the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarSpan {
    /// First grid step of the bar.
    pub start: usize,
    /// Grid steps in it.
    pub len: usize,
    /// The song's meter whose bar is this long, if one is (so meter changes are followed).
    pub meter: Option<Meter>,
}

/// The bars of `song` on the grid, from its events' bar numbers.
pub fn song_bars(song: &Song, step: Step) -> Vec<BarSpan> {
    let mut bars: Vec<BarSpan> = Vec::new();
    let mut at = 0usize;
    let mut current = None;
    for event in &song.events {
        let steps = (event.duration / step.quarters()).to_integer() as usize;
        if current != Some(event.bar) {
            bars.push(BarSpan {
                start: at,
                len: 0,
                meter: None,
            });
            current = Some(event.bar);
        }
        if let Some(bar) = bars.last_mut() {
            bar.len += steps;
        }
        at += steps;
    }
    for bar in &mut bars {
        bar.meter = song
            .meters
            .iter()
            .copied()
            .find(|&m| bar_steps(m, step) == Some(bar.len));
    }
    bars
}

/// The clock of a tune being written in one meter from a chosen pickup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Class of the meter.
    pub meter: u32,
    /// 0 major, 1 minor.
    pub mode: u32,
    /// Grid steps per bar.
    pub bar_steps: usize,
    /// Grid steps before the first bar line (0: none).
    pub pickup: usize,
    /// The tune's planned length in bars, the pickup counting as one.
    pub bars: usize,
}

impl Clock {
    /// The inputs of grid step `step`.
    pub fn inputs(&self, step: usize) -> [u32; 6] {
        let bar = self.bar_steps.max(1);
        let lead = (bar - self.pickup % bar) % bar;
        clock_inputs(
            self.meter,
            self.mode,
            (lead + step) % bar,
            step,
            bar,
            (lead + step) / bar,
            self.bars,
        )
    }
}
