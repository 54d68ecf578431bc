//! The conditioning inputs: the bar clock follows the song's own bar lines and meter changes.

use melodeon::corpus::{self, InputFile};
use melodeon::data::condition::{Conditioning, INPUTS, MeterPrior};
use melodeon::song::Meter;

#[test]
fn the_inputs_follow_a_meter_change_inside_a_song() {
    let kern = "**kern\n*M2/4\n*k[]\n*C:\n=1\n4c\n4d\n=2\n*M3/4\n4e\n4f\n4g\n==\n*-\n";
    let corpus = corpus::ingest(
        vec![InputFile::new("change.krn", kern.into())],
        &Default::default(),
    );
    let song = &corpus.songs[0];
    let meter = |numerator| Meter {
        numerator,
        denominator: 4,
    };
    let prior = |m| MeterPrior {
        meter: m,
        share: 0.5,
        minor: 0.0,
        pickups: vec![1.0],
        bars: Vec::new(),
    };
    let conditioning = Conditioning {
        meters: vec![prior(meter(2)), prior(meter(3))],
        bars_left: true,
    };
    let n = song.tokens.len();
    assert_eq!(n, 20);
    let inputs = conditioning.song_inputs(&song.song, Default::default(), n);
    assert_eq!(inputs.len(), (n + 1) * INPUTS.len());
    let step = |s: usize| &inputs[s * INPUTS.len()..(s + 1) * INPUTS.len()];
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
