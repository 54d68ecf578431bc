//! The clock of a tune being written: which bar and where in it each step falls, for a meter,
//! a mode and a pickup chosen before the first note.

use super::condition::{ClockValues, INPUTS_PER_STEP, Layout, mode_class};
use super::contour::Contour;
use crate::song::Mode;

/// The clock of a tune being written in one meter from a chosen pickup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Class of the meter.
    pub meter: u32,
    /// The mode.
    pub mode: Mode,
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
            mode: mode_class(self.mode),
            position: (lead + step) % bar,
            step,
            bar_steps: bar,
            bar: (lead + step) / bar,
            bars: self.bars,
        };
        self.layout.slots(&values, contour, self.mode)
    }
}
