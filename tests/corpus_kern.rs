//! `**kern` parser on typed-in fixtures: every quirk of the Erk files.

use melodeon::corpus::{self, EncodeOptions, InputFile, ParsedFile, kern};
use melodeon::encoding::grid::{self, GridConfig};
use melodeon::song::{Meter, Mode, Pitch, Song};
use num_rational::Ratio;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/kern/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> ParsedFile {
    kern::parse(name, &fixture(name))
}

fn only_song(file: &ParsedFile) -> &Song {
    assert_eq!(file.songs.len(), 1);
    file.songs[0].result.as_ref().expect("song accepted")
}

fn tokens(song: &Song) -> String {
    grid::to_text(
        &grid::encode(song, &GridConfig::default())
            .expect("on the grid")
            .tokens,
    )
}

#[test]
fn reference_records_meters_key_and_pickup() {
    let file = parse("quirks.krn");
    let song = only_song(&file);
    assert_eq!(song.id, "T0001");
    assert_eq!(song.title.as_deref(), Some("A Made-Up Tune"));
    assert_eq!(song.region.as_deref(), Some("Nowhere, Testland"));
    assert_eq!(song.key.to_string(), "G major");
    assert_eq!(
        song.meters,
        vec![
            Meter {
                numerator: 3,
                denominator: 4
            },
            Meter {
                numerator: 2,
                denominator: 4
            }
        ]
    );
    // Pickup notes sit in bar 0, then bars follow the =N lines.
    let bars: Vec<u32> = song.events.iter().map(|e| e.bar).collect();
    assert_eq!(bars, [0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4]);
    assert!(
        file.songs[0].warnings.is_empty(),
        "{:?}",
        file.songs[0].warnings
    );
}

#[test]
fn pitches_durations_accidentals_octaves_ties_phrases() {
    let file = parse("quirks.krn");
    let song = only_song(&file);
    let notes: Vec<(Pitch, Ratio<u32>)> =
        song.events.iter().map(|e| (e.pitch, e.duration)).collect();
    let q = |n, d| Ratio::new(n, d);
    assert_eq!(
        notes,
        vec![
            (Pitch::Note(62), q(1, 2)),
            (Pitch::Note(64), q(1, 2)),
            (Pitch::Note(67), q(3, 2)), // 4. dotted
            (Pitch::Note(69), q(1, 2)), // n natural
            (Pitch::Note(70), q(1, 1)), // - flat
            (Pitch::Note(73), q(1, 1)), // # sharp, tie start [
            (Pitch::Note(73), q(1, 1)), // tie middle _
            (Pitch::Note(73), q(1, 2)), // tie end ]
            (Pitch::Rest, q(1, 2)),
            (Pitch::Note(74), q(1, 1)), // dd: octave by repetition
            (Pitch::Note(43), q(3, 4)), // GG: upper case, two octaves down
            (Pitch::Note(47), q(1, 4)), // BB = B2
            (Pitch::Note(60), q(8, 1)), // 0 = breve
        ]
    );
    let ties: Vec<bool> = song.events.iter().map(|e| e.tie_to_next).collect();
    assert_eq!(ties.iter().filter(|t| **t).count(), 2);
    assert!(ties[5] && ties[6] && !ties[7]);
    let phrase_ends: Vec<usize> = song
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.phrase_end)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(phrase_ends, [8, 12]);
}

#[test]
fn transposed_tokens_merge_the_tie() {
    let song = only_song(&parse("quirks.krn")).clone();
    let expected =
        "55 _ 57 _ 60 _ _ _ _ _ 62 _ 63 _ _ _ 66 _ _ _ _ _ _ _ _ _ r _ 67 _ _ _ 36 _ _ 40 53"
            .to_owned()
            + &" _".repeat(31);
    assert_eq!(tokens(&song), expected);
    let seed = grid::encode(
        &song,
        &GridConfig {
            merge_ties: false,
            ..GridConfig::default()
        },
    )
    .unwrap();
    let merged = grid::encode(&song, &GridConfig::default()).unwrap();
    assert_eq!(merged.tie_merges, 2);
    assert_eq!(seed.tokens.len(), merged.tokens.len());
    let changed = seed
        .tokens
        .iter()
        .zip(&merged.tokens)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(changed, 2);
}

#[test]
fn tuplets_are_read_exactly_and_rejected_on_the_grid() {
    let file = parse("triplets.krn");
    let song = only_song(&file);
    let durations: Vec<Ratio<u32>> = song.events.iter().map(|e| e.duration).collect();
    let third = Ratio::new(1, 3);
    assert_eq!(&durations[..3], &[third; 3]);
    assert_eq!(durations[4], Ratio::new(1, 6)); // 24
    assert_eq!(durations[8], Ratio::new(2, 3)); // 6
    assert_eq!(durations[11], Ratio::new(4, 3)); // 3
    let err = grid::encode(song, &GridConfig::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "triplet in bar 1 does not fit the 1/16 grid"
    );
    assert_eq!(err.reason(), "triplet off the grid");
}

#[test]
fn several_spines_take_the_first_kern_spine() {
    let file = parse("two_spines.krn");
    let song = only_song(&file);
    assert_eq!(song.key.to_string(), "G minor");
    assert_eq!(song.key.mode, Mode::Minor);
    let pitches: Vec<Pitch> = song.events.iter().map(|e| e.pitch).collect();
    assert_eq!(
        pitches,
        [
            Pitch::Note(67),
            Pitch::Note(69),
            Pitch::Note(70),
            Pitch::Note(67)
        ]
    );
    let w = &file.songs[0].warnings;
    assert!(
        w.iter().any(|d| d
            .message
            .contains("3 spines; reading the first **kern spine (column 2)")),
        "{w:?}"
    );
    // Minor keys go to A minor: G minor moves up 2.
    assert!(tokens(song).starts_with("69 _ _ _ 71 _ _ _ 72"));
}

#[test]
fn one_bad_song_never_loses_the_others() {
    let file = parse("two_songs.krn");
    assert_eq!(file.songs.len(), 3);
    let ids: Vec<&str> = file.songs.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["T0004", "T0005", "T0006"]);
    assert!(file.songs[0].result.is_ok());
    let err = file.songs[1].result.as_ref().unwrap_err();
    assert_eq!(err.reason, "unreadable note");
    assert_eq!(err.detail.line, Some(20));
    assert!(err.detail.message.contains("'4x'"), "{err}");
    let third = file.songs[2].result.as_ref().unwrap();
    assert_eq!(third.key.to_string(), "D minor");
    assert_eq!(third.title.as_deref(), Some("Third Of Three"));
    assert_eq!(file.songs[2].record, Some(2));
}

#[test]
fn unbalanced_phrases_key_change_and_restarting_bars_warn() {
    let file = parse("unbalanced.krn");
    let song = only_song(&file);
    assert_eq!(song.key.to_string(), "C major");
    let warnings: Vec<String> = file.songs[0]
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    let all = warnings.join("\n");
    assert!(all.contains("unbalanced phrase marks"), "{all}");
    assert!(
        all.contains("key changes to G major; the first key (C major) is kept"),
        "{all}"
    );
    assert!(all.contains("bar numbers restart"), "{all}");
}

/// CP437 bytes in a comment and a stray backspace between two notes (as in
/// the Erk files) keep the song and all its notes.
#[test]
fn latin1_comments_and_stray_control_bytes() {
    let mut bytes =
        b"!!!OTL: Bytes\n!!!SCT: T0008\n!! caf\x82 \x94\n**kern\n*M3/4\n*C:\n=1\n".to_vec();
    bytes.extend_from_slice(b"4.B\x088G\n8A\n8B\n==\n*-\n");
    let corpus = corpus::ingest(
        vec![InputFile::new("bytes.krn", bytes)],
        &EncodeOptions::default(),
    );
    let file = &corpus.report.file_reports[0];
    assert_eq!(file.format.as_deref(), Some("kern"));
    assert!(file.warnings.iter().any(|w| w.message.contains("latin-1")));
    let song = &corpus.songs[0].song;
    assert_eq!(song.events.len(), 4);
    assert_eq!(song.events[1].pitch, Pitch::Note(55));
    let w = &file.songs[0].warnings[0];
    assert_eq!((w.line, w.column), (Some(8), Some(4)));
    assert!(w.message.contains("0x08"));
}

#[test]
fn missing_key_falls_back_to_the_signature_and_no_notes_is_rejected() {
    let text = "!!!SCT: T0009\n**kern\n*k[b-e-]\n4e-\n*-\n**kern\n*C:\n4r\n*-\n";
    let file = kern::parse("nokey.krn", text);
    assert_eq!(file.songs.len(), 2);
    assert_eq!(
        file.songs[0].result.as_ref().unwrap().key.to_string(),
        "Bb major"
    );
    assert!(
        file.songs[0].warnings[0]
            .message
            .contains("from the key signature")
    );
    assert_eq!(
        file.songs[1].result.as_ref().unwrap_err().reason,
        "no notes"
    );
    assert_eq!(file.songs[1].id, "nokey#2");
}

#[test]
fn truncated_file_still_yields_its_song() {
    let file = kern::parse("cut.krn", "!!!SCT: T0010\n**kern\n*C:\n4c\n4d\n");
    assert_eq!(file.songs[0].result.as_ref().unwrap().events.len(), 2);
    assert!(
        file.songs[0]
            .warnings
            .iter()
            .any(|w| w.message.contains("closing *-"))
    );
}

/// Garbage in spine fields never panics.
#[test]
fn odd_interpretation_fields_do_not_panic() {
    let file = kern::parse(
        "odd.krn",
        "**kern\t**kern\n*\t\n*\t\u{e9}\n4c\t4d\n*-\t*-\n",
    );
    assert_eq!(file.songs[0].result.as_ref().unwrap().events.len(), 1);
}
