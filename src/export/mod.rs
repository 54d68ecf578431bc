//! Getting tunes out: standard MIDI files, ABC, MusicXML and share links.

pub mod abc;
pub mod link;
pub mod midi;
pub mod musicxml;

use crate::song::Song;

/// A file format a tune can be downloaded or written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
pub enum Format {
    /// Standard MIDI file.
    Midi,
    /// ABC notation.
    Abc,
    /// MusicXML (uncompressed).
    Musicxml,
}

impl Format {
    /// Every format, in the order offered.
    pub const ALL: [Format; 3] = [Format::Midi, Format::Abc, Format::Musicxml];

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Format::Midi => "MIDI",
            Format::Abc => "ABC",
            Format::Musicxml => "MusicXML",
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Midi => "mid",
            Format::Abc => "abc",
            Format::Musicxml => "musicxml",
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Midi => "audio/midi",
            Format::Abc => "text/vnd.abc",
            Format::Musicxml => "application/vnd.recordare.musicxml+xml",
        }
    }

    /// `song` in this format, titled `title`, at `tempo_bpm` quarter notes per minute.
    pub fn write(self, song: &Song, title: &str, tempo_bpm: f64) -> Vec<u8> {
        match self {
            Format::Midi => midi::write(song, title, tempo_bpm),
            Format::Abc => abc::write(song, title, tempo_bpm).into_bytes(),
            Format::Musicxml => musicxml::write(song, title, tempo_bpm).into_bytes(),
        }
    }
}
