//! Grid encoding: tokens, transposition, off-grid rejection, ties and round trips.

use melodeon::encoding::grid::{
    self, DecodeError, EncodeError, GridConfig, Step, Token, decode, encode, to_song, transposition,
};
use melodeon::song::{Event, Key, Meter, Mode, Pitch, Song, Source};
use num_rational::Ratio;
use proptest::prelude::*;

fn song(key: Key, events: Vec<Event>) -> Song {
    Song {
        id: "x".into(),
        title: None,
        source: Source {
            file: "x".into(),
            record: None,
        },
        region: None,
        key,
        meters: vec![Meter {
            numerator: 4,
            denominator: 4,
        }],
        events,
    }
}

fn key(letter: char, alter: i8, mode: Mode) -> Key {
    Key::new(letter, alter, mode).unwrap()
}

#[test]
fn token_text_round_trips() {
    for s in [".", "_", "r", "0", "60", "127"] {
        assert_eq!(s.parse::<Token>().unwrap().to_string(), s);
    }
    for bad in ["", "128", "-1", "x", "6 0", "+5"] {
        assert!(bad.parse::<Token>().is_err(), "{bad}");
    }
    assert_eq!("1/32".parse::<Step>(), Ok(Step::ThirtySecond));
    assert!("1/12".parse::<Step>().is_err());
}

#[test]
fn transposition_matches_music21() {
    assert_eq!(transposition(&key('C', 0, Mode::Major)), 0);
    assert_eq!(transposition(&key('G', 0, Mode::Major)), -7);
    assert_eq!(transposition(&key('F', 0, Mode::Major)), -5);
    assert_eq!(transposition(&key('B', -1, Mode::Major)), -10);
    assert_eq!(transposition(&key('C', -1, Mode::Major)), 1); // Cb4 = 59
    assert_eq!(transposition(&key('A', 0, Mode::Minor)), 0);
    assert_eq!(transposition(&key('E', 0, Mode::Minor)), 5);
    assert_eq!(transposition(&key('F', 1, Mode::Minor)), 3);
}

#[test]
fn encodes_onsets_holds_rests_and_keeps_the_key_when_asked() {
    let q = Ratio::new;
    let s = song(
        key('D', 0, Mode::Major),
        vec![
            Event::new(Pitch::Note(62), q(1, 1), 1),
            Event::new(Pitch::Rest, q(1, 2), 1),
            Event::new(Pitch::Note(66), q(1, 4), 1),
        ],
    );
    let text =
        |cfg: &GridConfig| melodeon::encoding::grid::to_text(&encode(&s, cfg).unwrap().tokens);
    assert_eq!(text(&GridConfig::default()), "60 _ _ _ r _ 64");
    assert_eq!(
        text(&GridConfig {
            transpose: false,
            ..GridConfig::default()
        }),
        "62 _ _ _ r _ 66"
    );
    assert_eq!(
        text(&GridConfig {
            step: Step::ThirtySecond,
            ..GridConfig::default()
        }),
        "60 _ _ _ _ _ _ _ r _ _ _ 64 _"
    );
    let err = encode(
        &s,
        &GridConfig {
            step: Step::Eighth,
            ..GridConfig::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a 1/16 note in bar 1 does not fit the 1/8 grid"
    );
    assert_eq!(err.reason(), "duration off the grid");
}

#[test]
fn ties_merge_or_write_new_onsets_like_the_seed() {
    let q = Ratio::new;
    let mut a = Event::new(Pitch::Note(60), q(1, 2), 1);
    a.tie_to_next = true;
    let s = song(
        Key::C_MAJOR,
        vec![a, Event::new(Pitch::Note(60), q(1, 4), 2)],
    );
    let merged = encode(&s, &GridConfig::default()).unwrap();
    assert_eq!(merged.tokens, [Token::Note(60), Token::Hold, Token::Hold]);
    assert_eq!(merged.tie_merges, 1);
    let seed = encode(
        &s,
        &GridConfig {
            merge_ties: false,
            ..GridConfig::default()
        },
    )
    .unwrap();
    assert_eq!(seed.tokens, [Token::Note(60), Token::Hold, Token::Note(60)]);
    assert_eq!(seed.tie_merges, 0);
}

#[test]
fn out_of_range_and_bad_decodes_are_errors() {
    let s = song(
        key('B', 0, Mode::Major),
        vec![Event::new(Pitch::Note(2), Ratio::new(1, 4), 3)],
    );
    assert!(matches!(
        encode(&s, &GridConfig::default()),
        Err(EncodeError::OutOfRange {
            bar: 3,
            midi: 2,
            shift: -11
        })
    ));
    assert_eq!(
        decode(&[Token::Hold], Step::Sixteenth),
        Err(DecodeError::HoldWithoutOnset(0))
    );
    // Decoding stops at the terminator.
    let events = decode(&[Token::Rest, Token::End, Token::Note(60)], Step::Sixteenth).unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn to_song_restores_the_key_and_numbers_bars() {
    let tokens: Vec<Token> = "60 _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ 62 _"
        .split(' ')
        .map(|t| t.parse().unwrap())
        .collect();
    let g = key('G', 0, Mode::Major);
    let meter = Meter {
        numerator: 4,
        denominator: 4,
    };
    let s = to_song(
        &tokens,
        Step::Sixteenth,
        -GridConfig::default().shift(&g),
        "gen",
        g,
        vec![meter],
        0,
    )
    .unwrap();
    assert_eq!(s.events[0].pitch, Pitch::Note(67));
    assert_eq!(s.events[1].pitch, Pitch::Note(69));
    assert_eq!((s.events[0].bar, s.events[1].bar), (1, 2));
    assert_eq!(s.events[1].duration, Ratio::new(1, 2));
    // A pickup of 4 steps is bar 0; the bar lines move with it.
    let s = to_song(&tokens, Step::Sixteenth, 0, "gen", g, vec![meter], 4).unwrap();
    assert_eq!((s.events[0].bar, s.events[1].bar), (0, 1));
}

fn arb_event(step: u32) -> impl Strategy<Value = Event> {
    (
        prop_oneof![Just(None), (0u8..=127).prop_map(Some)],
        1u32..40,
    )
        .prop_map(move |(p, n)| {
            let pitch = p.map_or(Pitch::Rest, Pitch::Note);
            Event::new(pitch, Ratio::new(n, step), 0)
        })
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Eighth),
        Just(Step::Sixteenth),
        Just(Step::ThirtySecond)
    ]
}

proptest! {
    /// Events → tokens → events is exact (same pitches and durations) in the original key.
    #[test]
    fn events_round_trip(step in arb_step(), events in prop::collection::vec(arb_event(1), 0..60)) {
        let cfg = GridConfig { step, transpose: false, merge_ties: true };
        let step_q = step.quarters();
        // Express each duration as a whole number of this step.
        let events: Vec<Event> = events.into_iter().map(|mut e| { e.duration = step_q * e.duration.to_integer(); e }).collect();
        let s = song(Key::C_MAJOR, events.clone());
        let enc = encode(&s, &cfg).unwrap();
        let back = decode(&enc.tokens, step).unwrap();
        prop_assert_eq!(back, events);
    }

    /// Transposition is undone exactly by `to_song`.
    #[test]
    fn transposed_round_trip(events in prop::collection::vec((30u8..=100, 1u32..20), 1..40), letter in prop::sample::select(vec!['C','D','E','F','G','A','B']), alter in -1i8..=1, minor: bool) {
        let mode = if minor { Mode::Minor } else { Mode::Major };
        let k = key(letter, alter, mode);
        let evs: Vec<Event> = events.iter().map(|&(m, n)| Event::new(Pitch::Note(m), Ratio::new(n, 4), 0)).collect();
        let cfg = GridConfig::default();
        let enc = encode(&song(k, evs.clone()), &cfg).unwrap();
        let back = to_song(&enc.tokens, cfg.step, -cfg.shift(&k), "x", k, Vec::new(), 0).unwrap();
        prop_assert_eq!(back.events, evs);
    }

    /// Any well-formed token sequence survives tokens → events → tokens.
    #[test]
    fn tokens_round_trip(onsets in prop::collection::vec((prop_oneof![Just(Token::Rest), (0u8..=127).prop_map(Token::Note)], 0usize..20), 0..50)) {
        let tokens: Vec<Token> = onsets.iter().flat_map(|(t, holds)| std::iter::once(*t).chain(std::iter::repeat_n(Token::Hold, *holds))).collect();
        let events = decode(&tokens, Step::Sixteenth).unwrap();
        let s = song(Key::C_MAJOR, events);
        let again = grid::encode(&s, &GridConfig { transpose: false, ..GridConfig::default() }).unwrap();
        prop_assert_eq!(again.tokens, tokens);
    }
}
