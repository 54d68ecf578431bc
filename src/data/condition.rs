//! What the model is told at every step besides the token: the meter, the mode, where the step
//! falls in its bar, how far it is from a whole number of bars since the start, which bar it is
//! in, how many bars are left, (the melodic inputs) the scale degree that sounds and where
//! it lies in the range the tune has spanned so far, and the last interval. A musician chooses the meter and the mode;
//! the length in bars is drawn from the songs in that meter, the clock follows from them and
//! the melodic inputs from the tokens written so far ([`super::Contour`]).
//!
//! This module holds the catalogue of inputs and what a model file stores of them
//! ([`Conditioning`]); the melody so far is [`super::contour`], the clock of a tune being
//! written [`super::clock`], and the meters' priors [`super::meters`].
//!
//! Every input is a small class id, so the network adds one learnt row per input to its first
//! layer's gates (the same as one-hot inputs times a weight matrix). The inputs of step `s`
//! describe grid step `s` of the song: the step whose token the model predicts there, from
//! what came before it. Step `len` is the terminator's, so a song that fills its bars ends at
//! phase 0.
//!
//! Every step stores [`INPUTS_PER_STEP`] slots; a model reads the first
//! [`Conditioning::inputs`]`.len()` of them, in that order, and the rest are zero. Files from
//! before an input keep their layout, since each later input is off by default.

use serde::{Deserialize, Serialize};

use super::contour::Contour;
use super::meters::{MeterPrior, meter_priors};
use crate::encoding::grid::{Step, Token};
use crate::song::{Meter, Mode, Song};

/// Classes of the in-bar position (positions past the last are clamped to it).
pub const POSITIONS: usize = 32;
/// Classes of the phase: steps since the start, modulo the bar.
pub const PHASES: usize = 32;
/// Classes of the bar count and of the bars left (larger numbers are clamped to the last).
pub const BARS: usize = 32;
/// Classes of the sounding degree: 12 semitones above the tonic, a rest, nothing yet.
pub const DEGREES: usize = 14;
/// Classes of [`super::Contour::ending`]: the last pitch's degree, with or without a rest after it,
/// and "no note yet".
pub const ENDINGS: usize = 25;
/// Largest distance in semitones from the lowest or highest pitch so far with a class of its
/// own (larger ones are clamped to it); one more class says "no note yet".
pub const SPAN: usize = 24;

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
    /// Bars left before the end.
    BarsLeft,
    /// The scale degree of the note sounding before the step (semitones above the tonic), a
    /// rest, or nothing yet.
    Degree,
    /// Semitones from the lowest pitch so far up to the last pitch.
    AboveLowest,
    /// Semitones from the last pitch up to the highest pitch so far.
    BelowHighest,
    /// Semitones from the pitch before the last to the last (rests skipped).
    Interval,
}

impl Input {
    /// Number of classes of this input, for a model knowing `meters` meters.
    fn classes(self, meters: usize) -> usize {
        match self {
            Input::Meter => meters + 1,
            Input::Mode => 2,
            Input::Position => POSITIONS,
            Input::Phase => PHASES,
            Input::Bar => BARS,
            Input::BarsLeft => BARS + 1,
            Input::Degree => DEGREES,
            Input::AboveLowest | Input::BelowHighest => SPAN + 2,
            Input::Interval => INTERVALS,
        }
    }
}

/// The inputs every conditioned model reads, in slot order.
const BASE: [Input; 5] = [
    Input::Meter,
    Input::Mode,
    Input::Position,
    Input::Phase,
    Input::Bar,
];

/// The melodic inputs, in slot order.
const MELODIC: [Input; 3] = [Input::Degree, Input::AboveLowest, Input::BelowHighest];

/// Slots stored per step: room for every input.
pub const INPUTS_PER_STEP: usize = BASE.len() + 1 + MELODIC.len() + 1;

/// Largest interval in semitones with a class of its own, each way (larger ones are clamped).
pub const MAX_INTERVAL: i32 = 12;
/// Classes of the interval: −12 to +12 semitones, and "fewer than two notes yet".
pub const INTERVALS: usize = 2 * MAX_INTERVAL as usize + 2;

/// Which inputs a model reads beyond [`BASE`], in slot order after it: the one definition of
/// the optional inputs, which a model file's [`Conditioning`] and a recipe's network share.
/// Each is off in files from before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    /// How many bars are left.
    pub bars_left: bool,
    /// The melodic inputs: the sounding scale degree and where the last pitch lies in the
    /// range so far.
    pub melodic: bool,
    /// The last interval.
    pub interval: bool,
}

impl Layout {
    /// The inputs in slot order.
    pub fn inputs(self) -> Vec<Input> {
        let mut inputs = BASE.to_vec();
        if self.bars_left {
            inputs.push(Input::BarsLeft);
        }
        if self.melodic {
            inputs.extend(MELODIC);
        }
        if self.interval {
            inputs.push(Input::Interval);
        }
        inputs
    }

    /// One step's slots from the clock's values and the melody so far in `mode`.
    pub(super) fn slots(
        self,
        clock: &ClockValues,
        contour: &Contour,
        mode: Mode,
    ) -> [u32; INPUTS_PER_STEP] {
        let mut out = [0; INPUTS_PER_STEP];
        for (slot, input) in out.iter_mut().zip(self.inputs()) {
            *slot = match input {
                Input::Degree | Input::AboveLowest | Input::BelowHighest | Input::Interval => {
                    contour.class(input, mode)
                }
                _ => clock.class(input),
            };
        }
        out
    }
}

/// The class of `mode` among the mode input's classes.
pub fn mode_class(mode: Mode) -> u32 {
    match mode {
        Mode::Major => 0,
        Mode::Minor => 1,
    }
}

/// The mode of a mode input's class (an unknown class reads as major).
pub fn class_mode(class: u32) -> Mode {
    if class == 1 { Mode::Minor } else { Mode::Major }
}

/// The clock's values at one step, before they are put in slots.
pub(super) struct ClockValues {
    pub(super) meter: u32,
    pub(super) mode: u32,
    pub(super) position: usize,
    pub(super) step: usize,
    pub(super) bar_steps: usize,
    pub(super) bar: usize,
    pub(super) bars: usize,
}

impl ClockValues {
    /// The class of a clock `input`.
    fn class(&self, input: Input) -> u32 {
        let clamp = |value: usize, classes: usize| value.min(classes - 1) as u32;
        match input {
            Input::Meter => self.meter,
            Input::Mode => self.mode,
            Input::Position => clamp(self.position, POSITIONS),
            Input::Phase => clamp(self.step % self.bar_steps.max(1), PHASES),
            Input::Bar => clamp(self.bar, BARS),
            Input::BarsLeft => clamp(self.bars.saturating_sub(self.bar), BARS + 1),
            Input::Degree | Input::AboveLowest | Input::BelowHighest | Input::Interval => 0,
        }
    }
}

/// The conditioning a model was trained with, stored in its file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conditioning {
    /// The meters the model knows (class `i + 1` is `meters[i].meter`), most common first.
    pub meters: Vec<MeterPrior>,
    /// Which inputs beyond the clock the model reads.
    #[serde(flatten)]
    pub layout: Layout,
}

impl Conditioning {
    /// The meters of `songs` with their priors on the grid `step`, reading `layout`'s inputs.
    pub fn from_songs<'a>(
        songs: impl IntoIterator<Item = &'a Song>,
        step: Step,
        layout: Layout,
    ) -> Self {
        Self {
            meters: meter_priors(songs, step),
            layout,
        }
    }

    /// The inputs the model reads, in slot order.
    pub fn inputs(&self) -> Vec<Input> {
        self.layout.inputs()
    }

    /// The slot of a step's inputs that holds `input`, if the model reads it.
    pub fn slot(&self, input: Input) -> Option<usize> {
        self.inputs().iter().position(|&i| i == input)
    }

    /// Number of classes of each input the model reads, in slot order.
    pub fn classes(&self) -> Vec<usize> {
        let meters = self.meters.len();
        self.inputs().iter().map(|i| i.classes(meters)).collect()
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
    /// step by step, [`INPUTS_PER_STEP`] slots a step. `tokens` are the song's grid tokens as
    /// the model reads them (transposed). The position follows the song's own bar lines, so it
    /// follows meter changes.
    pub fn song_inputs(&self, song: &Song, step: Step, tokens: &[Token]) -> Vec<u32> {
        let len = tokens.len();
        let mode = song.key.mode;
        let bars = song.bars(step.quarters());
        let total = bars.len();
        let mut clock = Vec::with_capacity(len + 1);
        let mut meter = song.meters.first().copied();
        for (index, bar) in bars.iter().enumerate() {
            if let Some(m) = bar.meter {
                meter = Some(m);
            }
            let expected = meter
                .and_then(|m| m.steps(step.quarters()))
                .unwrap_or(bar.len.max(1));
            let offset = if index == 0 && bar.len < expected {
                expected - bar.len
            } else {
                0
            };
            let class = meter.map_or(0, |m| self.meter_class(m));
            for s in bar.start..bar.start + bar.len {
                clock.push(ClockValues {
                    meter: class,
                    mode: mode_class(mode),
                    position: offset + s - bar.start,
                    step: s,
                    bar_steps: expected,
                    bar: index,
                    bars: total,
                });
            }
        }
        // The terminator's step: just after the last bar's content.
        let expected = meter.and_then(|m| m.steps(step.quarters())).unwrap_or(1);
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
        clock.push(ClockValues {
            meter: meter.map_or(0, |m| self.meter_class(m)),
            mode: mode_class(mode),
            position,
            step: len,
            bar_steps: expected,
            bar,
            bars: total,
        });
        clock.truncate(len + 1);
        let layout = self.layout;
        let mut contour = Contour::default();
        let mut out = Vec::with_capacity((len + 1) * INPUTS_PER_STEP);
        for (s, values) in clock.iter().enumerate() {
            if let Some(&token) = s.checked_sub(1).and_then(|t| tokens.get(t)) {
                contour.push(token);
            }
            out.extend(layout.slots(values, &contour, mode));
        }
        out
    }
}
