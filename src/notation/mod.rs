//! A song laid out for notation: bars, notes split at bar lines and tied, durations that can
//! be written (plain or dotted), and pitches spelled for the key. The ABC and MusicXML exports
//! read it; every note's pitch and the sum of its tied pieces are the song's own.

mod spell;

pub use spell::{Spelled, spell};

use num_rational::Ratio;

use crate::song::{Key, Meter, Pitch, Quarters, Song, quarters_f64};

/// One written note or rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The MIDI pitch and its spelling, or `None` for a rest.
    pub pitch: Option<(u8, Spelled)>,
    /// Written length in quarter notes: `base` with `dots` dots.
    pub duration: Quarters,
    /// The undotted value: 4 (whole), 2, 1, 1/2, … quarter notes.
    pub base: Quarters,
    /// Dots: 0 or 1.
    pub dots: u8,
    /// Tied to the next note (same pitch).
    pub tie_to_next: bool,
    /// The accidental to print: the alteration, when it differs from what the key
    /// signature and earlier notes of the bar imply for this letter and octave.
    pub accidental: Option<i8>,
}

/// One bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// 0 for a pickup, then 1, 2, …
    pub number: u32,
    /// Its notes, in order.
    pub notes: Vec<Note>,
    /// Its length in quarter notes (shorter than the meter for a pickup or a last bar).
    pub length: Quarters,
    /// The meter in force in this bar (it changes inside some folk songs).
    pub meter: Meter,
}

impl Bar {
    /// Whether the meter changes at this bar (the first bar's meter is the score's).
    pub fn meter_changes(&self, previous: Option<&Bar>) -> bool {
        previous.is_some_and(|p| p.meter != self.meter)
    }
}

/// A song in bars, ready to write out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Score {
    /// Key (and so the key signature).
    pub key: Key,
    /// The first bar's meter (each bar has its own, [`Bar::meter`]).
    pub meter: Meter,
    /// The bars in order.
    pub bars: Vec<Bar>,
}

impl Score {
    /// Each bar's number and where it starts and ends, in quarter notes from the start.
    pub fn spans(&self) -> Vec<(u32, f64, f64)> {
        let mut clock = 0.0;
        self.bars
            .iter()
            .map(|bar| {
                let start = clock;
                clock += quarters_f64(bar.length);
                (bar.number, start, clock)
            })
            .collect()
    }

    /// The written note or rest (counted in order over all bars) sounding at `beat` quarter
    /// notes from the start: the last one started, `None` before the first.
    pub fn note_at(&self, beat: f64) -> Option<usize> {
        let mut clock = 0.0;
        let mut found = None;
        for (i, note) in self.bars.iter().flat_map(|b| b.notes.iter()).enumerate() {
            if clock > beat + 1e-9 {
                break;
            }
            found = Some(i);
            clock += quarters_f64(note.duration);
        }
        found
    }
}

/// Lays `song` out in bars. Bar 0 is a pickup when the song's events begin in bar 0 and bar
/// 1 follows; a note crossing a bar line is split and tied, and lengths that one (dotted)
/// value cannot write are split and tied too. A song with one meter (4/4 without one) is
/// barred by it; a song whose meter changes keeps its own bars ([`song_bars`]).
pub fn layout(song: &Song) -> Score {
    let meter = song.meters.first().copied().unwrap_or(Meter {
        numerator: 4,
        denominator: 4,
    });
    let bar_length = meter.bar_length();
    let pickup: Quarters = song
        .events
        .iter()
        .take_while(|e| e.bar == 0)
        .map(|e| e.duration)
        .sum();
    let has_pickup = pickup > Ratio::from_integer(0) && song.events.iter().any(|e| e.bar > 0);
    let first_bar = if has_pickup { pickup } else { bar_length };
    // The bars' lengths and meters in order; past the end, bars of the last meter.
    let mut plan = if song.meters.len() > 1 {
        song_bars(song).into_iter()
    } else {
        vec![(first_bar, meter)].into_iter()
    };
    let mut current = meter;
    let mut next_bar = move || {
        let (length, meter) = plan.next().unwrap_or((current.bar_length(), current));
        current = meter;
        (length, meter)
    };
    let (mut room, first_meter) = next_bar();
    let mut bars: Vec<Bar> = Vec::new();
    let mut open = Bar {
        number: if has_pickup { 0 } else { 1 },
        notes: Vec::new(),
        length: Ratio::from_integer(0),
        meter: first_meter,
    };
    for event in &song.events {
        let pitch = match event.pitch {
            Pitch::Note(midi) => Some(midi),
            Pitch::Rest => None,
        };
        let mut left = event.duration;
        while left > Ratio::from_integer(0) {
            if room == Ratio::from_integer(0) {
                let number = open.number + 1;
                let (length, meter) = next_bar();
                bars.push(std::mem::replace(
                    &mut open,
                    Bar {
                        number,
                        notes: Vec::new(),
                        length: Ratio::from_integer(0),
                        meter,
                    },
                ));
                room = length;
            }
            let here = left.min(room);
            left -= here;
            room -= here;
            open.length += here;
            let pieces = writable(here);
            let last_piece = pieces.len() - 1;
            for (i, (base, dots)) in pieces.into_iter().enumerate() {
                let tied = pitch.is_some() && (i < last_piece || left > Ratio::from_integer(0));
                open.notes.push(Note {
                    pitch: pitch.map(|m| (m, spell(m, &song.key))),
                    duration: dotted(base, dots),
                    base,
                    dots,
                    tie_to_next: tied || (i == last_piece && event.tie_to_next),
                    accidental: None,
                });
            }
        }
    }
    if !open.notes.is_empty() {
        bars.push(open);
    }
    for bar in &mut bars {
        mark_accidentals(bar, &song.key);
    }
    Score {
        key: song.key,
        meter: bars.first().map_or(meter, |b| b.meter),
        bars,
    }
}

/// The bars of a song whose meter changes, as its events number them: each bar's length, and
/// its meter (the song's meters taken in order, moving on when a whole bar of the next one
/// comes; pickups, short bars and bars that fit no meter, which the sources have, keep the
/// meter in force).
fn song_bars(song: &Song) -> Vec<(Quarters, Meter)> {
    let mut lengths: Vec<Quarters> = Vec::new();
    let mut last_bar = None;
    for event in &song.events {
        if last_bar != Some(event.bar) {
            lengths.push(Ratio::from_integer(0));
            last_bar = Some(event.bar);
        }
        if let Some(length) = lengths.last_mut() {
            *length += event.duration;
        }
    }
    let mut at = 0;
    lengths
        .into_iter()
        .map(|length| {
            if song.meters[at].bar_length() != length
                && song
                    .meters
                    .get(at + 1)
                    .is_some_and(|next| next.bar_length() == length)
            {
                at += 1;
            }
            (length, song.meters[at])
        })
        .collect()
}

/// Splits a length into writable values, longest first: each a power-of-two fraction of a
/// whole note, plain or with one dot.
fn writable(mut length: Quarters) -> Vec<(Quarters, u8)> {
    let mut out = Vec::new();
    let mut base: Quarters = Ratio::from_integer(4);
    while length > Ratio::from_integer(0) {
        // Values below a 256th note do not occur on any grid Melodeon uses.
        if base < Ratio::new(1, 64) {
            out.push((length, 0));
            break;
        }
        if length >= dotted(base, 1) {
            out.push((base, 1));
            length -= dotted(base, 1);
        } else if length >= base {
            out.push((base, 0));
            length -= base;
        } else {
            base /= 2;
        }
    }
    out
}

/// A value with `dots` dots (0 or 1).
fn dotted(base: Quarters, dots: u8) -> Quarters {
    if dots == 0 {
        base
    } else {
        base * Ratio::new(3, 2)
    }
}

/// Sets each note's printed accidental: the key signature holds at the start of the bar, and
/// an accidental holds for its letter and octave to the end of the bar.
fn mark_accidentals(bar: &mut Bar, key: &Key) {
    let mut state: Vec<(char, i32, i8)> = Vec::new();
    for note in &mut bar.notes {
        let Some((_, spelled)) = note.pitch else {
            continue;
        };
        let current = state
            .iter()
            .find(|(l, o, _)| *l == spelled.letter && *o == spelled.octave)
            .map_or_else(|| spell::signature_alter(spelled.letter, key), |s| s.2);
        if current != spelled.alter {
            note.accidental = Some(spelled.alter);
            state.retain(|(l, o, _)| !(*l == spelled.letter && *o == spelled.octave));
            state.push((spelled.letter, spelled.octave, spelled.alter));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::song::{Event, Mode};

    fn song(events: Vec<Event>, key: Key, meter: &str) -> Song {
        Song::new("t", key, vec![Meter::parse(meter).unwrap()], events)
    }

    fn q(n: u32, d: u32) -> Quarters {
        Ratio::new(n, d)
    }

    /// Notes as (MIDI, quarters as `(n, d)`, bar).
    fn notes(items: &[(u8, (u32, u32), u32)]) -> Vec<Event> {
        items
            .iter()
            .map(|&(midi, (n, d), bar)| Event::new(Pitch::Note(midi), q(n, d), bar))
            .collect()
    }

    #[test]
    fn lengths_split_into_writable_values() {
        assert_eq!(writable(q(3, 1)), vec![(q(2, 1), 1)]);
        assert_eq!(writable(q(5, 4)), vec![(q(1, 1), 0), (q(1, 4), 0)]);
        assert_eq!(writable(q(7, 4)), vec![(q(1, 1), 1), (q(1, 4), 0)]);
        assert_eq!(writable(q(4, 1)), vec![(q(4, 1), 0)]);
    }

    #[test]
    fn notes_across_bar_lines_are_tied_and_the_pickup_is_a_bar() {
        // 3/4 with a quarter pickup: C (pickup), then a half plus a half tied over the bar.
        let events = notes(&[(60, (1, 1), 0), (62, (4, 1), 1), (64, (1, 1), 2)]);
        let score = layout(&song(events, Key::C_MAJOR, "3/4"));
        let lengths: Vec<(u32, Quarters)> =
            score.bars.iter().map(|b| (b.number, b.length)).collect();
        assert_eq!(lengths, vec![(0, q(1, 1)), (1, q(3, 1)), (2, q(2, 1))]);
        let bar1 = &score.bars[1].notes;
        assert_eq!(bar1.len(), 1);
        assert_eq!((bar1[0].base, bar1[0].dots), (q(2, 1), 1));
        assert!(bar1[0].tie_to_next);
        let bar2 = &score.bars[2].notes;
        assert_eq!(bar2[0].duration, q(1, 1));
        assert!(!bar2[0].tie_to_next);
        assert_eq!(
            score.spans(),
            vec![(0, 0.0, 1.0), (1, 1.0, 4.0), (2, 4.0, 6.0)]
        );
        // Written notes: C, D. (tied), D, E; the one sounding is the last one started.
        assert_eq!(score.note_at(-0.5), None);
        assert_eq!(score.note_at(0.0), Some(0));
        assert_eq!(score.note_at(3.9), Some(1));
        assert_eq!(score.note_at(4.0), Some(2));
        assert_eq!(score.note_at(99.0), Some(3));
    }

    #[test]
    fn a_song_whose_meter_changes_keeps_its_own_bars() {
        // 3/4 with an eighth pickup, a 3/4 bar, then two 2/4 bars (the last one short).
        let events = notes(&[
            (60, (1, 2), 0),
            (62, (3, 1), 1),
            (64, (2, 1), 2),
            (65, (1, 1), 3),
        ]);
        let meters = vec![Meter::parse("3/4").unwrap(), Meter::parse("2/4").unwrap()];
        let score = layout(&Song::new("t", Key::C_MAJOR, meters, events));
        let bars: Vec<(u32, Quarters, String)> = score
            .bars
            .iter()
            .map(|b| (b.number, b.length, b.meter.to_string()))
            .collect();
        assert_eq!(
            bars,
            vec![
                (0, q(1, 2), "3/4".into()),
                (1, q(3, 1), "3/4".into()),
                (2, q(2, 1), "2/4".into()),
                (3, q(1, 1), "2/4".into()),
            ]
        );
        assert!(!score.bars[1].meter_changes(Some(&score.bars[0])));
        assert!(score.bars[2].meter_changes(Some(&score.bars[1])));
        assert!(score.bars.iter().all(|b| b.notes.len() == 1));
    }

    #[test]
    fn accidentals_are_printed_once_per_bar_against_the_key() {
        // E minor (one sharp): F# needs nothing, D# needs a sharp once, F natural a natural.
        let key = Key::new('E', 0, Mode::Minor).unwrap();
        let events = notes(&[
            (66, (1, 1), 1),
            (63, (1, 1), 1),
            (63, (1, 1), 1),
            (65, (1, 1), 1),
            (63, (1, 1), 2),
        ]);
        let score = layout(&song(events, key, "4/4"));
        let marks: Vec<Option<i8>> = score
            .bars
            .iter()
            .flat_map(|b| b.notes.iter().map(|n| n.accidental))
            .collect();
        assert_eq!(marks, vec![None, Some(1), None, Some(0), Some(1)]);
    }
}
