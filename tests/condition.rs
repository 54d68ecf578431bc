//! The conditioning inputs: the bar clock follows the song's own bar lines and meter changes,
//! and the melodic inputs follow the notes before each step.

use melodeon::corpus::{self, EncodedSong, InputFile};
use melodeon::data::condition::{Conditioning, INPUTS_PER_STEP, Layout};
use melodeon::data::meters::MeterPrior;
use melodeon::song::{Meter, Mode};

/// The one song of a `**kern` text.
fn song(kern: &str) -> EncodedSong {
    let corpus = corpus::ingest(
        vec![InputFile::new("fixture.krn", kern.into())],
        &Default::default(),
    );
    corpus.songs[0].clone()
}

/// A conditioning that knows 2/4 and 3/4, with the bars left, the melodic inputs and the
/// interval.
fn conditioning() -> Conditioning {
    let prior = |numerator| MeterPrior {
        meter: Meter {
            numerator,
            denominator: 4,
        },
        share: 0.5,
        minor: 0.0,
        pickups: vec![1.0],
        bars: Vec::new(),
    };
    Conditioning {
        meters: vec![prior(2), prior(3)],
        layout: Layout {
            bars_left: true,
            melodic: true,
            interval: true,
        },
    }
}

#[test]
fn the_inputs_follow_a_meter_change_inside_a_song() {
    let song = song("**kern\n*M2/4\n*k[]\n*C:\n=1\n4c\n4d\n=2\n*M3/4\n4e\n4f\n4g\n==\n*-\n");
    let n = song.tokens.len();
    assert_eq!(n, 20);
    let inputs = conditioning().song_inputs(&song.song, Default::default(), &song.tokens);
    assert_eq!(inputs.len(), (n + 1) * INPUTS_PER_STEP);
    let step = |s: usize| &inputs[s * INPUTS_PER_STEP..(s + 1) * INPUTS_PER_STEP][..6];
    // [meter, mode, position, phase, bar, bars left] (the song has 2 bars)
    assert_eq!(step(0), [1, 0, 0, 0, 0, 2]);
    assert_eq!(step(7), [1, 0, 7, 7, 0, 2]);
    assert_eq!(step(8), [2, 0, 0, 8, 1, 1], "the 3/4 bar starts at step 8");
    assert_eq!(step(19), [2, 0, 11, 7, 1, 1]);
    assert_eq!(
        step(20),
        [2, 0, 0, 8, 2, 0],
        "the terminator falls on the next bar line"
    );
}

#[test]
fn the_melodic_inputs_follow_the_notes_before_each_step() {
    // A minor, 2/4: A, C above it, a rest, then B below the first A.
    let song = song("**kern\n*M2/4\n*k[]\n*a:\n=1\n4a\n4cc\n=2\n4r\n4B\n==\n*-\n");
    let pitches: Vec<String> = song.tokens.iter().map(ToString::to_string).collect();
    assert_eq!(
        pitches.join(" "),
        "69 _ _ _ 72 _ _ _ r _ _ _ 59 _ _ _",
        "the fixture is already in A minor"
    );
    let inputs = conditioning().song_inputs(&song.song, Default::default(), &song.tokens);
    // [degree, above the lowest, below the highest, interval + 12] after the notes before the
    // step.
    let melodic = |s: usize| &inputs[s * INPUTS_PER_STEP + 6..(s + 1) * INPUTS_PER_STEP];
    assert_eq!(melodic(0), [13, 25, 25, 25], "nothing yet");
    assert_eq!(melodic(1), [0, 0, 0, 25], "the tonic A, the only pitch");
    assert_eq!(melodic(3), [0, 0, 0, 25], "held");
    assert_eq!(
        melodic(5),
        [3, 3, 0, 15],
        "C, a minor third above A, is the highest"
    );
    assert_eq!(
        melodic(9),
        [12, 3, 0, 15],
        "a rest: the range and the interval keep the last pitch"
    );
    assert_eq!(
        melodic(13),
        [2, 0, 13, 0],
        "B below A is the lowest, 13 down (clamped)"
    );
    assert_eq!(melodic(16), [2, 0, 13, 0], "the terminator's step");
    let mode = inputs[INPUTS_PER_STEP + 1];
    assert_eq!(mode, 1, "minor");
}

#[test]
fn a_model_without_the_later_inputs_keeps_the_old_slots() {
    let song = song("**kern\n*M2/4\n*k[]\n*C:\n=1\n4c\n4d\n=2\n4e\n4f\n==\n*-\n");
    let old = Conditioning {
        layout: Layout::default(),
        ..conditioning()
    };
    assert_eq!(old.classes(), [3, 2, 32, 32, 32]);
    let inputs = old.song_inputs(&song.song, Default::default(), &song.tokens);
    assert!(
        inputs
            .chunks(INPUTS_PER_STEP)
            .all(|step| step[5..].iter().all(|&slot| slot == 0)),
        "only the first five slots are used"
    );
    assert_eq!(
        conditioning().classes(),
        [3, 2, 32, 32, 32, 33, 14, 26, 26, 26]
    );
}

#[test]
fn writing_a_tune_feeds_the_inputs_that_training_read() {
    use melodeon::data::Clock;
    use melodeon::encoding::vocab::Vocab;
    use melodeon::generate::Steer;

    let song = song("**kern\n*M2/4\n*k[]\n*C:\n=1\n8c\n8e\n4g\n=2\n4r\n8f\n16d\n16B\n==\n*-\n");
    let conditioning = conditioning();
    let trained = conditioning.song_inputs(&song.song, Default::default(), &song.tokens);
    let vocab = Vocab::from_sequences([song.tokens.as_slice()]);
    let ids = vocab.encode(&song.tokens).unwrap();
    let clock = Clock {
        meter: 1,
        mode: Mode::Major,
        bar_steps: 8,
        pickup: 0,
        bars: 2,
        layout: conditioning.layout,
    };
    let written = Steer {
        clock: &clock,
        vocab: &vocab,
        ends: None,
        new_pitches: None,
        forms: None,
    }
    .inputs(&ids);
    assert_eq!(written, trained);
}
