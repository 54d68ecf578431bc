//! Standard MIDI files (format 0) via `midly`: tempo, time signature, key signature, the
//! tune's title, and exact note on/off times at 480 ticks per quarter note.

use midly::num::{u4, u7, u15, u24, u28};
use midly::{
    Format, Header, MetaMessage, MidiMessage, Smf, Timing, Track, TrackEvent, TrackEventKind,
};

use crate::song::{Key, Mode, Pitch, Song};

/// Ticks per quarter note.
pub const TICKS_PER_QUARTER: u16 = 480;
/// General MIDI program: 21 is the accordion, a melodeon's big sibling.
const PROGRAM: u8 = 21;
const VELOCITY: u8 = 90;

/// A note as written to the file: MIDI pitch and on/off times in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedNote {
    /// MIDI note number.
    pub pitch: u8,
    /// Note-on time in ticks from the start.
    pub start: u32,
    /// Note-off time in ticks from the start.
    pub end: u32,
}

/// The notes of `song` with their times in ticks (rests only move the clock).
pub fn timed_notes(song: &Song) -> Vec<TimedNote> {
    let mut clock = num_rational::Ratio::from_integer(0u32);
    let mut notes = Vec::new();
    for event in &song.events {
        let start = ticks(clock);
        clock += event.duration;
        if let Pitch::Note(pitch) = event.pitch {
            notes.push(TimedNote {
                pitch,
                start,
                end: ticks(clock),
            });
        }
    }
    notes
}

fn ticks(quarters: num_rational::Ratio<u32>) -> u32 {
    (quarters * u32::from(TICKS_PER_QUARTER))
        .round()
        .to_integer()
}

/// Writes `song` as a format-0 MIDI file at `tempo_bpm` quarter notes per minute.
pub fn write(song: &Song, title: &str, tempo_bpm: f64) -> Vec<u8> {
    let meter = song.meters.first().copied();
    let mut events: Vec<(u32, TrackEventKind<'_>)> = vec![
        (
            0,
            TrackEventKind::Meta(MetaMessage::TrackName(title.as_bytes())),
        ),
        (
            0,
            TrackEventKind::Meta(MetaMessage::Tempo(u24::new(micros_per_quarter(tempo_bpm)))),
        ),
        (0, TrackEventKind::Meta(key_signature(&song.key))),
        (
            0,
            TrackEventKind::Midi {
                channel: u4::new(0),
                message: MidiMessage::ProgramChange {
                    program: u7::new(PROGRAM),
                },
            },
        ),
    ];
    if let Some(meter) = meter {
        let denominator = meter.denominator.max(1).trailing_zeros() as u8;
        let numerator = u8::try_from(meter.numerator).unwrap_or(u8::MAX);
        events.insert(
            2,
            (
                0,
                TrackEventKind::Meta(MetaMessage::TimeSignature(numerator, denominator, 24, 8)),
            ),
        );
    }
    let mut last = 0;
    for note in timed_notes(song) {
        let key = u7::new(note.pitch.min(127));
        events.push((
            note.start,
            midi(MidiMessage::NoteOn {
                key,
                vel: u7::new(VELOCITY),
            }),
        ));
        events.push((
            note.end,
            midi(MidiMessage::NoteOff {
                key,
                vel: u7::new(0),
            }),
        ));
        last = note.end;
    }
    events.push((last, TrackEventKind::Meta(MetaMessage::EndOfTrack)));
    // Stable sort: a note-off sorts before a note-on at the same tick because it was pushed first.
    events.sort_by_key(|(time, _)| *time);
    let mut previous = 0;
    let track: Track<'_> = events
        .into_iter()
        .map(|(time, kind)| {
            let delta = u28::new(time - previous);
            previous = time;
            TrackEvent { delta, kind }
        })
        .collect();
    let smf = Smf {
        header: Header::new(
            Format::SingleTrack,
            Timing::Metrical(u15::new(TICKS_PER_QUARTER)),
        ),
        tracks: vec![track],
    };
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes)
        .expect("writing to memory cannot fail");
    bytes
}

fn midi(message: MidiMessage) -> TrackEventKind<'static> {
    TrackEventKind::Midi {
        channel: u4::new(0),
        message,
    }
}

fn micros_per_quarter(tempo_bpm: f64) -> u32 {
    (60_000_000.0 / tempo_bpm.clamp(20.0, 400.0)).round() as u32
}

/// The key signature: sharps (positive) or flats (negative) on the circle of fifths.
fn key_signature(key: &Key) -> MetaMessage<'static> {
    MetaMessage::KeySignature(key.fifths(), key.mode == Mode::Minor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::song::{Event, Meter};
    use num_rational::Ratio;

    fn song(key: Key) -> Song {
        let q = |n, d| Ratio::new(n, d);
        Song::new(
            "t",
            key,
            vec![Meter {
                numerator: 6,
                denominator: 8,
            }],
            vec![
                Event::new(Pitch::Note(67), q(1, 2), 1),
                Event::new(Pitch::Rest, q(1, 4), 1),
                Event::new(Pitch::Note(69), q(3, 4), 1),
                Event::new(Pitch::Note(69), q(1, 1), 1),
            ],
        )
    }

    #[test]
    fn notes_have_exact_times() {
        let notes = timed_notes(&song(Key::C_MAJOR));
        assert_eq!(
            notes,
            [
                TimedNote {
                    pitch: 67,
                    start: 0,
                    end: 240
                },
                TimedNote {
                    pitch: 69,
                    start: 360,
                    end: 720
                },
                TimedNote {
                    pitch: 69,
                    start: 720,
                    end: 1200
                },
            ]
        );
    }

    #[test]
    fn the_file_parses_with_meta_events_and_notes() {
        let key = Key::new('B', -1, Mode::Major).unwrap();
        let bytes = write(&song(key), "Test tune", 120.0);
        let smf = Smf::parse(&bytes).unwrap();
        assert_eq!(smf.header.timing, Timing::Metrical(u15::new(480)));
        let track = &smf.tracks[0];
        let metas: Vec<_> = track
            .iter()
            .filter_map(|e| match e.kind {
                TrackEventKind::Meta(m) => Some(m),
                _ => None,
            })
            .collect();
        assert!(metas.contains(&MetaMessage::TrackName(b"Test tune")));
        assert!(metas.contains(&MetaMessage::Tempo(u24::new(500_000))));
        assert!(metas.contains(&MetaMessage::TimeSignature(6, 3, 24, 8)));
        assert!(metas.contains(&MetaMessage::KeySignature(-2, false)));
        // The repeated A: its note-off comes before the next note-on at the same tick.
        let mut time = 0;
        let mut notes = Vec::new();
        for event in track.iter() {
            time += event.delta.as_int();
            if let TrackEventKind::Midi { message, .. } = event.kind {
                notes.push((time, message));
            }
        }
        let at_720: Vec<_> = notes
            .iter()
            .filter(|(t, _)| *t == 720)
            .map(|(_, m)| *m)
            .collect();
        assert!(matches!(at_720[0], MidiMessage::NoteOff { .. }));
        assert!(matches!(at_720[1], MidiMessage::NoteOn { .. }));
    }

    #[test]
    fn key_signatures_follow_the_circle_of_fifths() {
        let sig = |letter, alter, mode| match key_signature(&Key::new(letter, alter, mode).unwrap())
        {
            MetaMessage::KeySignature(n, _) => n,
            _ => unreachable!(),
        };
        assert_eq!(sig('G', 0, Mode::Major), 1);
        assert_eq!(sig('F', 0, Mode::Major), -1);
        assert_eq!(sig('E', -1, Mode::Major), -3);
        assert_eq!(sig('F', 1, Mode::Major), 6);
        assert_eq!(sig('A', 0, Mode::Minor), 0);
        assert_eq!(sig('G', 0, Mode::Minor), -2);
        assert_eq!(sig('F', 1, Mode::Minor), 3);
    }
}
