//! ABC and MusicXML exports read back by independent parsers (`abc-parser`, `roxmltree`):
//! the notes and their lengths equal the song's, for typed-in fixtures and, where
//! `../shared/corpus` is present, every accepted Erk song.

use std::path::{Path, PathBuf};

use melodeon::corpus::{self, EncodeOptions, archive};
use melodeon::export::{abc, musicxml};
use melodeon::song::{Pitch, Song};
use num_rational::Ratio;

#[path = "common/corpus.rs"]
mod corpus_dir;
use corpus_dir::shared_corpus;

type Quarters = Ratio<u32>;

/// A note (MIDI pitch) or a rest (`None`) with its whole length, tied pieces joined.
type Sounding = (Option<u8>, Quarters);

/// The song's own notes, ties joined and neighbouring rests merged.
fn expected(song: &Song) -> Vec<Sounding> {
    let mut out: Vec<Sounding> = Vec::new();
    let mut joining = false;
    for event in &song.events {
        let pitch = match event.pitch {
            Pitch::Note(m) => Some(m),
            Pitch::Rest => None,
        };
        push(&mut out, pitch, event.duration, joining);
        joining = pitch.is_some() && event.tie_to_next;
    }
    out
}

fn push(out: &mut Vec<Sounding>, pitch: Option<u8>, length: Quarters, tied_from_before: bool) {
    match out.last_mut() {
        Some(last) if last.0 == pitch && (tied_from_before || pitch.is_none()) => last.1 += length,
        _ => out.push((pitch, length)),
    }
}

/// Key signature of an ABC `K:` field, by a table of its own.
fn abc_fifths(key: &str) -> i32 {
    let (tonic, minor) = match key.strip_suffix('m') {
        Some(t) => (t, true),
        None => (key, false),
    };
    let majors = [
        "Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#",
    ];
    let minors = [
        "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#",
    ];
    let table = if minor { minors } else { majors };
    table.iter().position(|t| *t == tonic).expect("known key") as i32 - 7
}

fn letter_semitone(letter: char) -> i32 {
    match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        _ => 11,
    }
}

fn signature(letter: char, fifths: i32) -> i32 {
    let sharps = "FCGDAEB";
    let i = sharps.find(letter).unwrap() as i32;
    if fifths > 0 && i < fifths {
        1
    } else if fifths < 0 && 6 - i < -fifths {
        -1
    } else {
        0
    }
}

/// `Length(…)` of abc-parser, whose field is private, through its `Debug` text.
fn length_of(length: Option<&abc_parser::datatypes::Length>) -> f64 {
    length.map_or(1.0, |l| {
        let text = format!("{l:?}");
        text.trim_start_matches("Length(")
            .trim_end_matches(')')
            .parse()
            .unwrap()
    })
}

/// The notes of an ABC tune as parsed by abc-parser, with the key signature and bar
/// accidentals applied here, and its meters in order (the `M:` header, then each inline
/// `[M:…]` change).
fn read_abc(text: &str) -> (Vec<Sounding>, Vec<String>) {
    use abc_parser::datatypes::{Accidental, HeaderLine, MusicSymbol, Rest, TuneLine};
    let book = abc_parser::abc::tune_book(text).expect("abc-parser reads the export");
    let tune = &book.tunes[0];
    let field = |c: char| {
        tune.header.lines.iter().find_map(|line| match line {
            HeaderLine::Field(f, _) if f.0 == c => Some(f.1.trim().to_string()),
            _ => None,
        })
    };
    assert_eq!(field('L').as_deref(), Some("1/16"));
    let fifths = abc_fifths(&field('K').unwrap());
    let unit = Ratio::new(1u32, 4);
    // Lengths are multiples of 1/64 of the unit on every grid Melodeon writes.
    let quarters = |l: f64| Ratio::new((l * 64.0).round() as u32, 64) * unit;
    let mut out = Vec::new();
    let mut meters = vec![field('M').unwrap()];
    let mut bar_accidentals: Vec<((char, i8), i32)> = Vec::new();
    let mut tied = false;
    for line in &tune.body.as_ref().unwrap().lines {
        let TuneLine::Music(music) = line else {
            continue;
        };
        for symbol in &music.symbols {
            match symbol {
                MusicSymbol::Bar(..) => bar_accidentals.clear(),
                MusicSymbol::InlineField(field, _) if field.0 == 'M' => {
                    meters.push(field.1.trim().to_string());
                }
                MusicSymbol::Rest(Rest::Note(length)) => {
                    push(&mut out, None, quarters(length_of(length.as_ref())), false);
                    tied = false;
                }
                MusicSymbol::Note {
                    accidental,
                    note,
                    octave,
                    length,
                    tie,
                } => {
                    let letter = format!("{note:?}").chars().next().unwrap();
                    let place = (letter, *octave);
                    let alter = match accidental {
                        Some(a) => {
                            let alter = match a {
                                Accidental::Natural => 0,
                                Accidental::Sharp => 1,
                                Accidental::Flat => -1,
                                Accidental::DoubleSharp => 2,
                                Accidental::DoubleFlat => -2,
                            };
                            bar_accidentals.retain(|(p, _)| *p != place);
                            bar_accidentals.push((place, alter));
                            alter
                        }
                        None => bar_accidentals
                            .iter()
                            .find(|(p, _)| *p == place)
                            .map_or_else(|| signature(letter, fifths), |(_, a)| *a),
                    };
                    // abc-parser counts `C` as octave 1 and `c` as 2; C (octave 1) is MIDI 60.
                    let midi = 60 + 12 * (i32::from(*octave) - 1) + letter_semitone(letter) + alter;
                    let length = quarters(length_of(length.as_ref()));
                    push(&mut out, Some(u8::try_from(midi).unwrap()), length, tied);
                    tied = tie.is_some();
                }
                MusicSymbol::Space(_) | MusicSymbol::Beam(_) => {}
                other => panic!("unexpected ABC symbol {other:?}"),
            }
        }
    }
    (out, meters)
}

/// The notes of a MusicXML document as read by roxmltree.
fn read_musicxml(text: &str) -> Vec<Sounding> {
    // MusicXML files name their DTD in a DOCTYPE, which roxmltree reads only when allowed.
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc =
        roxmltree::Document::parse_with_options(text, options).expect("roxmltree reads the export");
    let child = |node: roxmltree::Node, name: &str| {
        node.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .map(str::to_string)
    };
    let divisions: u32 = doc
        .descendants()
        .find(|n| n.has_tag_name("divisions"))
        .and_then(|n| n.text())
        .unwrap()
        .parse()
        .unwrap();
    let mut out = Vec::new();
    let mut tied = false;
    for note in doc.descendants().filter(|n| n.has_tag_name("note")) {
        let duration: u32 = child(note, "duration").unwrap().parse().unwrap();
        let length = Ratio::new(duration, divisions);
        let pitch = note.children().find(|c| c.has_tag_name("pitch")).map(|p| {
            let step = child(p, "step").unwrap().chars().next().unwrap();
            let alter: i32 = child(p, "alter").map_or(0, |a| a.parse().unwrap());
            let octave: i32 = child(p, "octave").unwrap().parse().unwrap();
            u8::try_from(12 * (octave + 1) + letter_semitone(step) + alter).unwrap()
        });
        push(&mut out, pitch, length, tied);
        tied = pitch.is_some()
            && note
                .children()
                .any(|c| c.has_tag_name("tie") && c.attribute("type") == Some("start"));
    }
    out
}

/// Checks both exports of `song`; says whether its ABC changes meter.
fn check(song: &Song) -> bool {
    let want = expected(song);
    let abc_text = abc::write(song, "round trip", 100.0);
    let (notes, meters) = read_abc(&abc_text);
    assert_eq!(notes, want, "ABC of {}:\n{abc_text}", song.id);
    // The meters written are the song's, in order; a meter none of whose bars is whole (the
    // sources have such labels) may be left out.
    let mut written = meters;
    written.dedup();
    let own: Vec<String> = match song.meters.len() {
        0 => vec!["4/4".into()],
        _ => song.meters.iter().map(ToString::to_string).collect(),
    };
    let mut rest = own.iter();
    assert!(
        written.iter().all(|m| rest.any(|own| own == m)),
        "meters of {}: {written:?} against {:?}\n{abc_text}",
        song.id,
        song.meters
    );
    let xml = musicxml::write(song, "round <trip> & back", 100.0);
    assert_eq!(read_musicxml(&xml), want, "MusicXML of {}", song.id);
    written.len() > 1
}

fn songs_in(path: &Path, transpose: bool) -> Vec<Song> {
    let mut options = EncodeOptions::default();
    options.grid.transpose = transpose;
    let files = archive::read_paths(&[path], options.max_file_bytes);
    corpus::ingest(files, &options)
        .songs
        .into_iter()
        .map(|s| s.song)
        .collect()
}

#[test]
fn fixture_songs_read_back_equal() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let songs: Vec<Song> = ["kern", "esac"]
        .iter()
        .flat_map(|d| songs_in(&dir.join(d), false))
        .collect();
    assert!(songs.len() >= 4, "fixtures hold songs");
    let changing = songs.iter().filter(|s| check(s)).count();
    assert!(changing >= 1, "the 3/4 then 2/4 fixture changes meter");
}

#[test]
fn every_erk_song_reads_back_equal() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let songs = songs_in(&corpus.join("erk-kern"), false);
    assert!(songs.len() > 1600);
    let changing = songs.iter().filter(|s| check(s)).count();
    // 70 Erk songs change meter in their sources; most have whole bars of each meter.
    assert!(changing > 50, "{changing} songs change meter");
}
