//! Getting tunes out: standard MIDI files.

pub mod link;
pub mod midi;
