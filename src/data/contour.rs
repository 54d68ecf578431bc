//! The melody so far as a conditioned model is told it: the degree that sounds, where the last
//! pitch lies in the range so far, the last interval, and which pitches have been used (for
//! the calibrations of writing).

use super::condition::{ENDINGS, INTERVALS, Input, MAX_INTERVAL, SPAN};
use crate::encoding::grid::{Token, transposed_tonic};
use crate::encoding::vocab::Vocab;
use crate::song::Mode;

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

    /// Where the melody stands for deciding to end, in `mode`: the degree of the last pitch
    /// (semitones above the tonic, 0–11), plus 12 while a rest sounds after it; 24 before the
    /// first note ([`ENDINGS`] classes).
    pub fn ending(&self, mode: Mode) -> usize {
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

    /// The class of a melodic `input` in `mode`.
    pub(super) fn class(&self, input: Input, mode: Mode) -> u32 {
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

/// Semitones of `pitch` above the tonic of `mode` as the songs are transposed, 0–11.
fn degree(pitch: u8, mode: Mode) -> u32 {
    u32::from((pitch % 12 + 12 - transposed_tonic(mode)) % 12)
}
