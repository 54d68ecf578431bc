//! EsAC parser on typed-in fixtures: every quirk of the Erk records.

use melodeon::corpus::{ParsedFile, esac};
use melodeon::encoding::grid::{self, GridConfig};
use melodeon::song::{Meter, Mode, Pitch, Song};
use num_rational::Ratio;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/esac/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn song(file: &ParsedFile, i: usize) -> &Song {
    file.songs[i]
        .result
        .as_ref()
        .unwrap_or_else(|e| panic!("song {i} rejected: {e}"))
}

fn tokens(song: &Song) -> String {
    grid::to_text(
        &grid::encode(song, &GridConfig::default())
            .expect("on the grid")
            .tokens,
    )
}

/// The record with CRLF line ends (as in the Erk files), a leftover `F[`
/// prefix, multi-line fields and a CMT field.
#[test]
fn single_record_with_crlf_and_prefix() {
    let text = fixture("record.txt").replace('\n', "\r\n");
    let file = esac::parse("record.txt", &text);
    assert_eq!(file.songs.len(), 1);
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    assert_eq!(file.songs[0].record, None);
    let s = song(&file, 0);
    assert_eq!(s.id, "T0101");
    assert_eq!(s.title.as_deref(), Some("WIR TIPPEN EIN LIED"));
    assert_eq!(s.region.as_deref(), Some("Europa, Testland"));
    assert_eq!(s.key.to_string(), "Bb major");
    assert_eq!(
        s.meters,
        vec![Meter {
            numerator: 4,
            denominator: 4
        }]
    );
}

#[test]
fn degrees_octaves_alterations_durations_holds() {
    let file = esac::parse("record.txt", &fixture("record.txt"));
    let s = song(&file, 0);
    let got: Vec<(Pitch, Ratio<u32>, u32)> = s
        .events
        .iter()
        .map(|e| (e.pitch, e.duration, e.bar))
        .collect();
    let q = Ratio::new;
    assert_eq!(
        got,
        vec![
            (Pitch::Note(65), q(1, 1), 0), // -5__ : pickup (no leading space), unit 16, __ = quarter
            (Pitch::Note(70), q(3, 2), 1), // 1__. dotted
            (Pitch::Note(72), q(1, 2), 1),
            (Pitch::Note(74), q(1, 1), 1),
            (Pitch::Note(70), q(1, 1), 1),
            (Pitch::Note(57), q(1, 2), 2), // --7_ two octaves down
            (Pitch::Note(65), q(1, 2), 2),
            (Pitch::Note(82), q(1, 2), 2), // +1_ tied on by ^
            (Pitch::Note(82), q(3, 2), 2), // ^__. hold of the previous pitch
            (Pitch::Note(85), q(1, 2), 2), // +2# raised
            (Pitch::Note(80), q(1, 2), 2), // 7b lowered (a 7b does not make it minor)
            (Pitch::Note(77), q(2, 1), 3), // line break = bar end here (bar was full)
            (Pitch::Note(77), q(1, 1), 3),
            (Pitch::Rest, q(1, 1), 3),     // 0 = rest
            (Pitch::Note(70), q(4, 1), 4), // ____ = four doublings
        ]
    );
    assert!(s.events[7].tie_to_next && s.events[11].tie_to_next);
    assert!(s.events[10].phrase_end && s.events[14].phrase_end);
    assert_eq!(s.events.iter().filter(|e| e.phrase_end).count(), 2);
    // Bb major moves down 10; the holds merge into the tied notes.
    let t = tokens(s);
    assert!(
        t.starts_with(
            "55 _ _ _ 60 _ _ _ _ _ 62 _ 64 _ _ _ 60 _ _ _ 47 _ 55 _ 72 _ _ _ _ _ _ _ 75 _ 70 _ 67"
        ),
        "{t}"
    );
}

#[test]
fn database_with_many_records() {
    let file = esac::parse("database.sm", &fixture("database.sm"));
    let ids: Vec<&str> = file.songs.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["T0201", "T0202", "T0203", "T0204", "T0205", "T0206"]);
    let records: Vec<Option<usize>> = file.songs.iter().map(|s| s.record).collect();
    assert_eq!(
        records,
        [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)]
    );

    // Leading spaces: no pickup, so the first note is in bar 1; meter list.
    let first = song(&file, 0);
    assert_eq!(first.events[0].bar, 1);
    assert_eq!(first.meters.len(), 2);
    assert_eq!(first.key.mode, Mode::Major);

    let missing = file.songs[1].result.as_ref().unwrap_err();
    assert_eq!(missing.reason, "MEL field missing");
    assert_eq!(missing.detail.to_string(), "line 9: MEL field missing");

    // Mode: a lowered third in the first phrase makes it minor.
    let minor = song(&file, 2);
    assert_eq!(minor.key.to_string(), "A minor");
    assert!(tokens(minor).starts_with("69 _ _ _ 72"));

    // Two MEL fields make one melody; FREI has no meter.
    let two = song(&file, 3);
    assert_eq!(two.events.len(), 7);
    assert!(two.meters.is_empty());
    let w: Vec<String> = file.songs[3]
        .warnings
        .iter()
        .map(|d| d.message.clone())
        .collect();
    assert!(w.contains(&"free meter (FREI)".to_owned()), "{w:?}");
    assert!(
        w.contains(&"2 MEL fields joined into one melody".to_owned()),
        "{w:?}"
    );

    // Triplets: (234) is three eighths in the time of two; `%2+3%` is ignored.
    let trip = song(&file, 4);
    assert_eq!(trip.events[1].duration, Ratio::new(1, 3));
    assert_eq!(
        trip.meters,
        vec![Meter {
            numerator: 5,
            denominator: 4
        }]
    );
    assert!(
        file.songs[4].warnings.is_empty(),
        "{:?}",
        file.songs[4].warnings
    );
    let err = grid::encode(trip, &GridConfig::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "triplet in bar 0 does not fit the 1/16 grid"
    );

    // A record cut off in the middle of MEL.
    let cut = file.songs[5].result.as_ref().unwrap_err();
    assert_eq!(cut.reason, "truncated record");
    assert!(cut.detail.message.contains("not closed"));
}

#[test]
fn bad_melodies_are_rejected_with_a_place() {
    let text = "KEY[X1 08 C 2/4]\nMEL[1_2_  3?4 //]\nKEY[X2 08 H 2/4]\nMEL[1 //]\nKEY[X3 08 C 2/4]\nMEL[1_(23  4 //]\nKEY[X4 08 C 2/4]\nMEL[^_1 //]\nFCT[x]\nMEL[1 //]\n";
    let file = esac::parse("bad.sm", text);
    let reasons: Vec<String> = file
        .songs
        .iter()
        .map(|s| {
            s.result
                .as_ref()
                .map_or_else(|e| e.to_string(), |_| "ok".into())
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "line 2, column 12: unexpected '?' in MEL",
            "line 3: tonic 'H' is not a note name",
            "line 6: triplet '(' is never closed",
            "line 8, column 5: '^' hold before any note",
            "line 10: KEY field missing",
        ]
    );
}

#[test]
fn two_mel_fields_in_one_record_keep_their_phrases() {
    let text = "KEY[Y1 04 G 2/4]\nMEL[1 2\n 3 4]\nMEL[5 5  1 //] >>\n";
    let file = esac::parse("y.txt", text);
    let s = song(&file, 0);
    let ends: Vec<bool> = s.events.iter().map(|e| e.phrase_end).collect();
    assert_eq!(ends, [false, true, false, true, false, false, true]);
}
