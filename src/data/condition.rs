//! What the model is told at every step besides the token: the meter, the mode, where the step
//! falls in its bar, how far it is from a whole number of bars since the start, which bar it is
//! in, how many bars are left, (the melodic inputs) the scale degree that sounds and where
//! it lies in the range the tune has spanned so far, and the last interval. A musician chooses the meter and the mode;
//! the length in bars is drawn from the songs in that meter, the clock follows from them and
//! the melodic inputs from the tokens written so far ([`Contour`]).
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

use crate::encoding::grid::{Step, Token};
use crate::encoding::vocab::Vocab;
use crate::song::{Meter, Mode, Song};

/// Classes of the in-bar position (positions past the last are clamped to it).
pub const POSITIONS: usize = 32;
/// Classes of the phase: steps since the start, modulo the bar.
pub const PHASES: usize = 32;
/// Classes of the bar count and of the bars left (larger numbers are clamped to the last).
pub const BARS: usize = 32;
/// Classes of the sounding degree: 12 semitones above the tonic, a rest, nothing yet.
pub const DEGREES: usize = 14;
/// Classes of [`Contour::ending`]: the last pitch's degree, with or without a rest after it,
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

/// Which inputs a model reads beyond [`BASE`], in slot order after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// The bars left.
    pub bars_left: bool,
    /// The melodic inputs.
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

    /// One step's slots from the clock's values and the melody so far.
    fn slots(self, clock: &ClockValues, contour: &Contour, mode: u32) -> [u32; INPUTS_PER_STEP] {
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

/// The melody written so far as the melodic inputs see it: the event sounding now and the
/// lowest, last and highest pitch. Fed token by token, the same way in training and writing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Contour {
    /// The last onset: `Some(None)` a rest, `Some(Some(pitch))` a note, `None` nothing yet.
    sounding: Option<Option<u8>>,
    /// Lowest, last and highest pitch so far.
    pitches: Option<(u8, u8, u8)>,
    /// The pitch before the last.
    before_last: Option<u8>,
    /// Every pitch so far, one bit per MIDI number.
    used: u128,
}

impl Contour {
    /// Takes in the next token.
    pub fn push(&mut self, token: Token) {
        match token {
            Token::Note(pitch) => {
                self.sounding = Some(Some(pitch));
                self.before_last = self.pitches.map(|(_, last, _)| last);
                self.used |= 1 << (pitch & 0x7f);
                self.pitches = Some(match self.pitches {
                    None => (pitch, pitch, pitch),
                    Some((low, _, high)) => (low.min(pitch), pitch, high.max(pitch)),
                });
            }
            Token::Rest => self.sounding = Some(None),
            Token::Hold | Token::End => {}
        }
    }

    /// Where the melody stands for deciding to end, in `mode` (0 major, 1 minor): the degree of
    /// the last pitch (semitones above the tonic, 0–11), plus 12 while a rest sounds after it;
    /// 24 before the first note ([`ENDINGS`] classes).
    pub fn ending(&self, mode: u32) -> usize {
        match self.pitches {
            None => ENDINGS - 1,
            Some((_, last, _)) => {
                degree(last, mode) as usize + 12 * usize::from(self.sounding == Some(None))
            }
        }
    }

    /// Whether `pitch` has sounded so far.
    pub fn has_used(&self, pitch: u8) -> bool {
        self.used & (1 << (pitch & 0x7f)) != 0
    }

    /// How many distinct pitches have sounded so far.
    pub fn distinct(&self) -> usize {
        self.used.count_ones() as usize
    }

    /// The lowest and highest pitch so far.
    pub fn range(&self) -> Option<(u8, u8)> {
        self.pitches.map(|(low, _, high)| (low, high))
    }

    /// Takes in the token of `id` in `vocab` (an id it does not know changes nothing).
    pub fn take(&mut self, vocab: &Vocab, id: u32) {
        if let Some(token) = vocab.token(id) {
            self.push(token);
        }
    }

    /// The class of a melodic `input` in `mode` (0 major: tonic C; 1 minor: tonic A, as the
    /// songs are transposed).
    fn class(&self, input: Input, mode: u32) -> u32 {
        let span = |d: u8| u32::from(d).min(SPAN as u32);
        let none = SPAN as u32 + 1;
        match (input, self.pitches) {
            (Input::Degree, _) => match self.sounding {
                None => 13,
                Some(None) => 12,
                Some(Some(pitch)) => degree(pitch, mode),
            },
            (Input::AboveLowest, Some((low, last, _))) => span(last - low),
            (Input::BelowHighest, Some((_, last, high))) => span(high - last),
            (Input::Interval, Some((_, last, _))) => match self.before_last {
                Some(before) => {
                    let step =
                        (i32::from(last) - i32::from(before)).clamp(-MAX_INTERVAL, MAX_INTERVAL);
                    (step + MAX_INTERVAL) as u32
                }
                None => INTERVALS as u32 - 1,
            },
            (Input::Interval, None) => INTERVALS as u32 - 1,
            _ => none,
        }
    }
}

/// Semitones of `pitch` above the tonic of `mode` (0 major: tonic C; 1 minor: tonic A, as the
/// songs are transposed), 0–11.
fn degree(pitch: u8, mode: u32) -> u32 {
    let tonic = if mode == 1 { 9 } else { 0 };
    u32::from((pitch + 12 - tonic) % 12)
}

/// The clock's values at one step, before they are put in slots.
struct ClockValues {
    meter: u32,
    mode: u32,
    position: usize,
    step: usize,
    bar_steps: usize,
    bar: usize,
    bars: usize,
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
    /// Whether the model is told the sounding degree and the range so far (files from before
    /// them: no).
    #[serde(default)]
    pub melodic: bool,
    /// Whether the model is told the last interval (files from before it: no).
    #[serde(default)]
    pub interval: bool,
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

impl Conditioning {
    /// The meters of `songs` (their first meter), with their priors, on the grid `step`;
    /// with neither the bars left nor the melodic inputs (set them to add them).
    pub fn from_songs<'a>(songs: impl IntoIterator<Item = &'a Song>, step: Step) -> Self {
        let mut counts: Vec<MeterCount> = Vec::new();
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
        let meters = counts
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
            .collect();
        Self {
            meters,
            bars_left: false,
            melodic: false,
            interval: false,
        }
    }

    /// Which inputs the model reads.
    pub fn layout(&self) -> Layout {
        Layout {
            bars_left: self.bars_left,
            melodic: self.melodic,
            interval: self.interval,
        }
    }

    /// The inputs the model reads, in slot order.
    pub fn inputs(&self) -> Vec<Input> {
        self.layout().inputs()
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
        let mode = u32::from(song.key.mode == Mode::Minor);
        let bars = song_bars(song, step);
        let total = bars.len();
        let mut clock = Vec::with_capacity(len + 1);
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
                clock.push(ClockValues {
                    meter: class,
                    mode,
                    position: offset + s - bar.start,
                    step: s,
                    bar_steps: expected,
                    bar: index,
                    bars: total,
                });
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
        clock.push(ClockValues {
            meter: meter.map_or(0, |m| self.meter_class(m)),
            mode,
            position,
            step: len,
            bar_steps: expected,
            bar,
            bars: total,
        });
        clock.truncate(len + 1);
        let layout = self.layout();
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
    /// Which inputs the model reads.
    pub layout: Layout,
}

impl Clock {
    /// The inputs of grid step `step`, after the tokens that `contour` has taken in.
    pub fn inputs(&self, step: usize, contour: &Contour) -> [u32; INPUTS_PER_STEP] {
        let bar = self.bar_steps.max(1);
        let lead = (bar - self.pickup % bar) % bar;
        let values = ClockValues {
            meter: self.meter,
            mode: self.mode,
            position: (lead + step) % bar,
            step,
            bar_steps: bar,
            bar: (lead + step) / bar,
            bars: self.bars,
        };
        self.layout.slots(&values, contour, self.mode)
    }
}
