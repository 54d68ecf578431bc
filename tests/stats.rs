//! Statistics of tunes (`melodeon::stats`) on hand-typed melodies: every feature, bars with
//! and without a pickup, the MGEval comparison and near copies.

use melodeon::encoding::grid::Token;
use melodeon::stats::{
    CopyIndex, Feature, Melody, NearCopy, Profile, REFERENCE_DIGITS, Reference, compare,
    compare_tunes, compare_with, divergence, near_copies,
};

/// A melody on the tonic C from grid text; `|` marks bar lines for the reader and is skipped.
fn melody(text: &str, bar_steps: usize, pickup_steps: usize) -> Melody {
    Melody {
        tokens: text
            .split_whitespace()
            .filter(|t| *t != "|")
            .map(|t| t.parse::<Token>().unwrap())
            .collect(),
        bar_steps,
        pickup_steps,
        tonic_pc: 0,
    }
}

/// A melody of `notes` two-step notes running up a C major scale from `low` through two
/// octaves, again and again.
fn scale(notes: usize, low: u8) -> Melody {
    const STEPS: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];
    let text: Vec<String> = (0..notes)
        .map(|i| format!("{} _", low + STEPS[i % 7] + 12 * (i / 7 % 2) as u8))
        .collect();
    melody(&text.join(" "), 4, 0)
}

/// Five bars of 4 steps: notes of 4, 2, 1, 3, 4, 2, 1 steps, one rest, bar 4 repeats bar 1,
/// the last bar short, ending on A (57).
const TUNE: &str = "60 _ _ _ | 62 _ r _ | 64 64 _ _ | 60 _ _ _ | 67 _ 57";

fn close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-12, "{actual:?} vs {expected:?}");
    }
}

/// A vector of `len` zeros with the given entries set.
fn sparse(len: usize, entries: &[(usize, f64)]) -> Vec<f64> {
    let mut v = vec![0.0; len];
    entries.iter().for_each(|&(i, x)| v[i] = x);
    v
}

#[test]
fn counts_and_pitches() {
    let m = melody(TUNE, 4, 0);
    close(&Feature::Length.of(&m), &[19.0]);
    close(&Feature::NoteCount.of(&m), &[7.0]);
    close(&Feature::PitchCount.of(&m), &[5.0]);
    close(&Feature::PitchRange.of(&m), &[10.0]);
    close(&Feature::Rests.of(&m), &[1.0]);
    close(&Feature::MeanInterval.of(&m), &[25.0 / 6.0]);
    let h = 1.0 / 7.0;
    close(
        &Feature::PitchClassHistogram.of(&m),
        &sparse(12, &[(0, 2.0 * h), (2, h), (4, 2.0 * h), (7, h), (9, h)]),
    );
    let t = 1.0 / 6.0;
    let pcs = [(0, 2), (2, 4), (4, 4), (4, 0), (0, 7), (7, 9)];
    close(
        &Feature::PitchClassTransitions.of(&m),
        &sparse(144, &pcs.map(|(a, b)| (a * 12 + b, t))),
    );
}

#[test]
fn note_lengths() {
    let m = melody(TUNE, 4, 0);
    let h = 1.0 / 7.0;
    close(
        &Feature::NoteLengthHistogram.of(&m),
        &sparse(9, &[(0, 2.0 * h), (1, 2.0 * h), (2, h), (3, 2.0 * h)]),
    );
    let t = 1.0 / 6.0;
    close(
        &Feature::NoteLengthTransitions.of(&m),
        &sparse(
            81,
            &[(3 * 9 + 1, 2.0 * t), (9, 2.0 * t), (2, t), (2 * 9 + 3, t)],
        ),
    );
    // 6, 8, 12 and 16 steps have classes of their own; 5 and 17 are "other". The rest between
    // them is skipped by the transitions.
    let long = format!(
        "60 {} 62 {} 64 {} 65 {} 67 {} r 69 {}",
        "_ ".repeat(5),
        "_ ".repeat(7),
        "_ ".repeat(11),
        "_ ".repeat(15),
        "_ ".repeat(4),
        "_ ".repeat(16),
    );
    let m = melody(&long, 16, 0);
    let f = 1.0 / 6.0;
    close(
        &Feature::NoteLengthHistogram.of(&m),
        &sparse(9, &[(4, f), (5, f), (6, f), (7, f), (8, 2.0 * f)]),
    );
    let t = 1.0 / 5.0;
    let pairs = [(4, 5), (5, 6), (6, 7), (7, 8), (8, 8)];
    close(
        &Feature::NoteLengthTransitions.of(&m),
        &sparse(81, &pairs.map(|(a, b)| (a * 9 + b, t))),
    );
}

#[test]
fn endings_and_bars() {
    let mut m = melody(TUNE, 4, 0);
    close(&Feature::TonicEnding.of(&m), &[0.0]);
    close(&Feature::FullBars.of(&m), &[0.8]);
    close(&Feature::RepeatedBars.of(&m), &[0.2]);
    m.tonic_pc = 9;
    close(&Feature::TonicEnding.of(&m), &[1.0]);
    // A rest after the last note does not change the ending.
    let m = melody("62 _ 60 _ r _", 0, 0);
    close(&Feature::TonicEnding.of(&m), &[1.0]);
    close(&Feature::FullBars.of(&m), &[1.0]);
    close(&Feature::RepeatedBars.of(&m), &[0.0]);
}

#[test]
fn bars_without_pickup() {
    let m = melody("60 _ _ _ | 62 _ _ _ | 64 _", 4, 0);
    assert_eq!(
        m.bars().iter().map(|b| b.len()).collect::<Vec<_>>(),
        [4, 4, 2]
    );
    assert!(!m.whole_bars());
    let m = melody("60 _ _ _ | 62 _ _ _", 4, 0);
    assert_eq!(m.bars().len(), 2);
    assert!(m.whole_bars());
    close(&Feature::FullBars.of(&m), &[1.0]);
}

#[test]
fn bars_with_pickup() {
    // Pickup and last bar make one bar together.
    let m = melody("67 | 60 _ _ _ | 62 _ _ _ | 60 _ _", 4, 1);
    assert_eq!(m.pickup_len(), 1);
    let bars = m.bars();
    assert_eq!(
        bars.iter().map(|b| b.len()).collect::<Vec<_>>(),
        [1, 4, 4, 3]
    );
    assert_eq!(bars[0], [Token::Note(67)]);
    assert!(m.whole_bars());
    close(&Feature::FullBars.of(&m), &[1.0]);
    // The pickup is no bar that repeats or is repeated.
    close(&Feature::RepeatedBars.of(&m), &[0.0]);
    // A full last bar leaves the pickup on its own.
    let m = melody("67 | 60 _ _ _ | 60 _ _ _", 4, 1);
    assert!(!m.whole_bars());
    close(&Feature::FullBars.of(&m), &[2.0 / 3.0]);
    close(&Feature::RepeatedBars.of(&m), &[0.5]);
}

#[test]
fn unknown_bar_length_is_one_bar() {
    let m = melody("60 _ 62 _ 64", 0, 3);
    assert_eq!(m.bars(), [m.tokens.as_slice()]);
    assert!(m.whole_bars());
    assert_eq!(m.pickup_len(), 0);
}

#[test]
fn empty_melody_is_all_zeros() {
    let m = melody("", 4, 0);
    assert!(m.bars().is_empty());
    for f in Feature::ALL {
        let v = f.of(&m);
        assert!(v.iter().all(|x| *x == 0.0), "{}: {v:?}", f.name());
    }
}

#[test]
fn feature_names_are_distinct() {
    let names: std::collections::HashSet<_> = Feature::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(names.len(), Feature::ALL.len());
    assert!(names.contains("pitch_class_transitions"));
}

#[test]
fn constant_samples_overlap_fully() {
    let d = divergence(&[2.0; 50], &[2.0; 30]);
    assert!(d.overlap >= 0.999 && d.kl < 1e-6, "{d:?}");
    let d = divergence(&[150.0; 5], &[150.0; 5]);
    assert!(d.overlap >= 0.999 && d.kl < 1e-6, "{d:?}");
    let d = divergence(&[0.0; 10], &[5.0; 10]);
    assert!(d.overlap < 1e-3 && d.kl > 1.0, "{d:?}");
    assert_eq!(divergence(&[], &[1.0]), Default::default());
}

#[test]
fn shifted_samples_overlap_partly() {
    let p: Vec<f64> = (0..200).map(|i| (i % 20) as f64).collect();
    let q: Vec<f64> = p.iter().map(|x| x + 10.0).collect();
    let d = divergence(&p, &q);
    assert!(d.overlap > 0.3 && d.overlap < 0.7, "{d:?}");
    assert!(divergence(&p, &p).overlap >= 0.999);
}

#[test]
fn a_set_against_itself_overlaps_fully() {
    let set: Vec<Melody> = (0..12)
        .map(|i| scale(4 + i % 5 * 3, 55 + (i as u8 % 4) * 2))
        .chain([melody(TUNE, 4, 0), melody("67 | 60 _ _ _ | 62 _ _", 4, 1)])
        .collect();
    let report = compare(&set, &set, &[], 7);
    assert_eq!(report.features.len(), Feature::ALL.len());
    for f in &report.features {
        assert!(f.overlap >= 0.999 && f.kl < 1e-6, "{f:?}");
        assert!((0.0..=1.0).contains(&f.ceiling_overlap), "{f:?}");
        assert!(f.ceiling_kl.is_finite() && f.ceiling_kl >= 0.0, "{f:?}");
        assert_eq!(f.mean_generated, f.mean_reference);
    }
    assert_eq!(report.generated, report.reference);
    assert!(
        serde_json::to_string(&report)
            .unwrap()
            .contains("\"name\":\"length\"")
    );
}

#[test]
fn different_sets_overlap_little() {
    let short: Vec<Melody> = (4..16).map(|n| scale(n, 60)).collect();
    let long: Vec<Melody> = (60..72).map(|n| scale(n, 48)).collect();
    let report = compare(&long, &short, &[], 1);
    for name in ["length", "note_count"] {
        let f = report.features.iter().find(|f| f.name == name).unwrap();
        assert!(f.overlap < 0.05, "{f:?}");
        assert!(f.ceiling_overlap > 0.3, "{f:?}");
        assert!(f.mean_generated > f.mean_reference, "{f:?}");
    }
}

#[test]
fn set_rates() {
    let set = [
        melody("60 _ _ _ | 62 _ _ _", 4, 0),
        melody("62 _ _ _ | 60 _", 4, 0),
        melody("60 _ | 64", 4, 0),
    ];
    let report = compare(&set, &[], &[], 0);
    assert_eq!(report.generated.tunes, 3);
    assert!((report.generated.tonic_endings - 1.0 / 3.0).abs() < 1e-12);
    assert!((report.generated.whole_bars - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(report.generated.median_length, 6.0);
    assert_eq!(report.generated.repeated_bars, Some(0.0));
    assert_eq!(report.reference, Default::default());
    let repeating = [melody("60 _ _ _ | 60 _ _ _ | 62 _ _ _ | 60 _ _ _", 4, 0)];
    assert_eq!(
        compare(&repeating, &[], &[], 0).generated.repeated_bars,
        Some(0.5),
        "the second and fourth of four bars repeat the first"
    );
    assert!(
        report
            .features
            .iter()
            .all(|f| f.overlap == 0.0 && f.kl == 0.0)
    );
}

#[test]
fn large_sets_are_subsampled_the_same_way_each_time() {
    let generated: Vec<Melody> = (0..300)
        .map(|i| scale(8 + i % 37, 55 + i as u8 % 9))
        .collect();
    let reference: Vec<Melody> = (0..300)
        .map(|i| scale(10 + i % 31, 57 + i as u8 % 7))
        .collect();
    let a = compare(&generated, &reference, &[], 3);
    assert_eq!(a, compare(&generated, &reference, &[], 3));
    assert!(
        a.features
            .iter()
            .all(|f| f.overlap > 0.1 && f.overlap <= 1.0)
    );
}

fn copies_fixture() -> (Vec<Melody>, Vec<Melody>) {
    let song = "r _ _ _ | 60 _ _ _ | 62 _ _ _ | 64 _ _ _ | 65 _ _ _ | 67 _ _ _";
    let training = vec![
        melody(song, 4, 0),
        melody("r | 57 _ _ _ | 59 _ _ _ | 60 _ _ _ | 59", 4, 1),
        melody(song, 4, 0),
    ];
    let generated = vec![
        // Three bars after the pickup, from song 0 (and song 2, the same).
        melody("72 _ | 62 _ _ _ | 64 _ _ _ | 65 _ _ _ | 71 _ _ _", 4, 2),
        // Two bars, then two more elsewhere in the song: no run of three.
        melody("62 _ _ _ | 64 _ _ _ | 71 _ _ _ | 65 _ _ _ | 67 _ _ _", 4, 0),
        // Five bars, then a short one.
        melody(
            "60 _ _ _ | 62 _ _ _ | 64 _ _ _ | 65 _ _ _ | 67 _ _ _ | 60",
            4,
            0,
        ),
        // Three bars found off the training song's bar lines.
        melody("57 _ _ _ | 59 _ _ _ | 60 _ _ _", 4, 0),
        // The third bar is short, so only two full bars match.
        melody("62 _ _ _ | 64 _ _ _ | 65 _", 4, 0),
        // Unknown bar length.
        melody("62 _ _ _ 64 _ _ _ 65 _ _ _", 0, 0),
    ];
    (generated, training)
}

#[test]
fn near_copies_of_three_bars_or_more() {
    let (generated, training) = copies_fixture();
    let report = near_copies(&generated, &training);
    let copy = |generated, training, bars| NearCopy {
        generated,
        training,
        bars,
    };
    assert_eq!(report.copies, [copy(0, 0, 3), copy(2, 0, 5), copy(3, 1, 3)]);
    assert_eq!(report.near_copies, 0.5);
    assert_eq!(report.longest_copy_bars, 5);
    let full = compare(&generated, &training, &training, 0);
    assert_eq!(full.copies, report);
    assert_eq!(near_copies(&[], &training), Default::default());
    assert!(near_copies(&generated, &[]).copies.is_empty());
}

#[test]
fn the_panel_compares_with_statistics_alone_and_names_the_copied_songs() {
    let (generated, training) = copies_fixture();
    let generated: Vec<Melody> = generated.into_iter().filter(|m| m.bar_steps > 0).collect();
    // Statistics in full give the same report as the songs themselves.
    let full = Reference::new(&training, None);
    let index = CopyIndex::new(&training, Vec::new());
    assert_eq!(
        compare_with(&generated, &full, &index, 5),
        compare(&generated, &training, &training, 5)
    );
    // Rounded to what a model file keeps, the overlaps barely move.
    let kept = Reference::new(&training, Some(REFERENCE_DIGITS));
    let (a, b) = (
        compare_with(&generated, &kept, &CopyIndex::default(), 5),
        compare_with(&generated, &full, &CopyIndex::default(), 5),
    );
    for (x, y) in a.features.iter().zip(&b.features) {
        assert!(
            (x.overlap - y.overlap).abs() < 0.01,
            "{}: {} vs {}",
            x.name,
            x.overlap,
            y.overlap
        );
    }
    // Near copies name the songs they copy, also from an index that went through a file;
    // without an index none are looked for.
    let names: Vec<String> = ["first", "second", "third"].map(String::from).to_vec();
    let named = CopyIndex::new(&training, names);
    let read: CopyIndex = serde_json::from_str(&serde_json::to_string(&named).unwrap()).unwrap();
    let panel = compare_tunes(&generated, &kept, Some(&read), 5);
    assert_eq!(
        panel.copied,
        Some(vec!["first".into(), "first".into(), "second".into()])
    );
    assert_eq!(panel.generated, Profile::of(&generated));
    assert_eq!(panel.reference, kept.profile);
    assert_eq!(compare_tunes(&generated, &kept, None, 5).copied, None);
}

#[test]
fn a_form_names_each_bar_after_the_pickup_with_a_letter_in_fours() {
    let tune = melody(
        "55 _ | 60 _ _ _ | 62 _ _ _ | 60 _ _ _ | 64 _ _ _ | 60 _ _ _ | 62 _ _ _ | 67 _",
        4,
        2,
    );
    assert_eq!(
        tune.form(),
        "abac abd",
        "the pickup left out, the short last bar its own"
    );
    assert_eq!(
        melody("60 _ _ _", 0, 0).form(),
        "a",
        "one bar when the meter is unknown"
    );
    assert_eq!(melody("", 4, 0).form(), "");
}
