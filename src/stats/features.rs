//! Per-melody features, each a vector of numbers (scalars have length 1).
//!
//! Histograms and transition matrices are normalised to sum 1 and are all zeros when there is
//! nothing to count, so every feature is finite on every melody, the empty one included.

use std::collections::HashSet;

use super::Melody;
use crate::encoding::grid::Token;

/// Note lengths in steps with a class of their own; every other length falls in one more class.
pub const LENGTH_CLASSES: [usize; 8] = [1, 2, 3, 4, 6, 8, 12, 16];

/// Number of note-length classes: [`LENGTH_CLASSES`] and "other".
pub const LENGTH_BINS: usize = LENGTH_CLASSES.len() + 1;

/// One feature of a melody.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Length in grid steps.
    Length,
    /// Number of note onsets.
    NoteCount,
    /// Number of distinct MIDI pitches.
    PitchCount,
    /// Highest minus lowest pitch in semitones (0 with at most one note).
    PitchRange,
    /// Share of note onsets on each pitch class (12 values).
    PitchClassHistogram,
    /// Share of each pitch-class pair among consecutive notes, rests skipped (12×12 values,
    /// row = from).
    PitchClassTransitions,
    /// Mean absolute interval in semitones between consecutive notes, rests skipped.
    MeanInterval,
    /// Share of notes in each length class ([`LENGTH_CLASSES`], then "other": 9 values).
    NoteLengthHistogram,
    /// Share of each length-class pair among consecutive notes, rests skipped (9×9 values).
    NoteLengthTransitions,
    /// Number of rest onsets.
    Rests,
    /// 1 when the last note is on the tonic's pitch class, else 0.
    TonicEnding,
    /// Share of bars that are complete, a pickup and a short last bar that add up to one bar
    /// counting as one complete bar (1 when the bar length is unknown).
    FullBars,
    /// Share of bars after the pickup whose tokens repeat an earlier such bar.
    RepeatedBars,
}

impl Feature {
    /// Every feature, in report order.
    pub const ALL: [Feature; 13] = [
        Feature::Length,
        Feature::NoteCount,
        Feature::PitchCount,
        Feature::PitchRange,
        Feature::PitchClassHistogram,
        Feature::PitchClassTransitions,
        Feature::MeanInterval,
        Feature::NoteLengthHistogram,
        Feature::NoteLengthTransitions,
        Feature::Rests,
        Feature::TonicEnding,
        Feature::FullBars,
        Feature::RepeatedBars,
    ];

    /// The feature's snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Length => "length",
            Feature::NoteCount => "note_count",
            Feature::PitchCount => "pitch_count",
            Feature::PitchRange => "pitch_range",
            Feature::PitchClassHistogram => "pitch_class_histogram",
            Feature::PitchClassTransitions => "pitch_class_transitions",
            Feature::MeanInterval => "mean_interval",
            Feature::NoteLengthHistogram => "note_length_histogram",
            Feature::NoteLengthTransitions => "note_length_transitions",
            Feature::Rests => "rests",
            Feature::TonicEnding => "tonic_ending",
            Feature::FullBars => "full_bars",
            Feature::RepeatedBars => "repeated_bars",
        }
    }

    /// The feature's values on one melody.
    pub fn of(self, m: &Melody) -> Vec<f64> {
        let notes = || events(&m.tokens).into_iter().filter_map(Event::note);
        let pitches: Vec<u8> = notes().map(|(pitch, _)| pitch).collect();
        let classes: Vec<usize> = notes().map(|(_, steps)| length_class(steps)).collect();
        match self {
            Feature::Length => vec![m.tokens.len() as f64],
            Feature::NoteCount => vec![pitches.len() as f64],
            Feature::PitchCount => vec![pitches.iter().collect::<HashSet<_>>().len() as f64],
            Feature::PitchRange => vec![pitch_range(&pitches)],
            Feature::PitchClassHistogram => {
                histogram(pitches.iter().map(|&p| usize::from(p % 12)), 12)
            }
            Feature::PitchClassTransitions => {
                let pcs: Vec<usize> = pitches.iter().map(|&p| usize::from(p % 12)).collect();
                transitions(&pcs, 12)
            }
            Feature::MeanInterval => vec![mean_interval(&pitches)],
            Feature::NoteLengthHistogram => histogram(classes.iter().copied(), LENGTH_BINS),
            Feature::NoteLengthTransitions => transitions(&classes, LENGTH_BINS),
            Feature::Rests => vec![m.tokens.iter().filter(|&&t| t == Token::Rest).count() as f64],
            Feature::TonicEnding => vec![tonic_ending(&pitches, m.tonic_pc)],
            Feature::FullBars => vec![full_bars(m)],
            Feature::RepeatedBars => vec![repeated_bars(m)],
        }
    }
}

/// A note (with its pitch) or a rest, and how many steps it lasts.
/// A note or a rest of a melody, with its length in steps.
#[derive(Clone, Copy)]
pub(super) struct Event {
    pitch: Option<u8>,
    steps: usize,
}

impl Event {
    /// Pitch and length when the event is a note.
    pub(super) fn note(self) -> Option<(u8, usize)> {
        self.pitch.map(|p| (p, self.steps))
    }
}

/// The melody's notes and rests in order. Holds before the first onset belong to nothing and
/// are skipped; a terminator ends the melody.
pub(super) fn events(tokens: &[Token]) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for &t in tokens {
        match t {
            Token::End => break,
            Token::Hold => {
                if let Some(last) = out.last_mut() {
                    last.steps += 1;
                }
            }
            Token::Rest => out.push(Event {
                pitch: None,
                steps: 1,
            }),
            Token::Note(p) => out.push(Event {
                pitch: Some(p),
                steps: 1,
            }),
        }
    }
    out
}

/// Index of a note length's class: its place in [`LENGTH_CLASSES`], or the last bin.
pub(super) fn length_class(steps: usize) -> usize {
    LENGTH_CLASSES
        .iter()
        .position(|&c| c == steps)
        .unwrap_or(LENGTH_CLASSES.len())
}

/// Counts scaled to sum 1 (left as zeros when there are none).
pub(super) fn normalised(mut counts: Vec<f64>) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    if total > 0.0 {
        counts.iter_mut().for_each(|c| *c /= total);
    }
    counts
}

/// Normalised histogram of bin indices below `bins`.
fn histogram(items: impl Iterator<Item = usize>, bins: usize) -> Vec<f64> {
    let mut counts = vec![0.0; bins];
    items.for_each(|i| counts[i] += 1.0);
    normalised(counts)
}

/// Normalised `bins`×`bins` matrix (row = from) of consecutive pairs.
fn transitions(items: &[usize], bins: usize) -> Vec<f64> {
    histogram(items.windows(2).map(|w| w[0] * bins + w[1]), bins * bins)
}

/// Highest minus lowest pitch; 0 without notes.
fn pitch_range(pitches: &[u8]) -> f64 {
    match (pitches.iter().max(), pitches.iter().min()) {
        (Some(hi), Some(lo)) => f64::from(hi - lo),
        _ => 0.0,
    }
}

/// Mean absolute interval between consecutive pitches; 0 with fewer than two.
fn mean_interval(pitches: &[u8]) -> f64 {
    let steps: Vec<f64> = pitches
        .windows(2)
        .map(|w| f64::from(w[0].abs_diff(w[1])))
        .collect();
    mean(&steps)
}

/// Arithmetic mean; 0 for no values.
pub(super) fn mean(values: &[f64]) -> f64 {
    match values.len() {
        0 => 0.0,
        n => values.iter().sum::<f64>() / n as f64,
    }
}

/// 1 when the last pitch is on the tonic's pitch class.
fn tonic_ending(pitches: &[u8], tonic_pc: u8) -> f64 {
    match pitches.last() {
        Some(p) if p % 12 == tonic_pc % 12 => 1.0,
        _ => 0.0,
    }
}

/// Share of complete bars; a pickup and last bar that add up to a bar count as one.
fn full_bars(m: &Melody) -> f64 {
    if m.bar_steps == 0 {
        return 1.0;
    }
    let bars = m.bars();
    let full = bars.iter().filter(|b| b.len() == m.bar_steps).count();
    let paired = usize::from(m.pickup_len() > 0 && m.whole_bars());
    share(full + paired, bars.len() - paired)
}

/// Share of bars after the pickup that repeat an earlier one.
fn repeated_bars(m: &Melody) -> f64 {
    let body = m.bars_after_pickup();
    let mut seen = HashSet::new();
    let repeats = body.iter().filter(|bar| !seen.insert(**bar)).count();
    share(repeats, body.len())
}

/// `part / whole`, 0 when `whole` is 0.
pub(super) fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}
