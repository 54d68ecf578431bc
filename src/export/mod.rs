//! Getting tunes out: standard MIDI files.

pub mod midi;
