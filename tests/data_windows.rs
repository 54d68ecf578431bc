//! Windows as views into one buffer, strides, and the split.

use melodeon::corpus::opening;
use melodeon::data::{SplitConfig, SplitMode, Windows, split, split_songs};
use melodeon::encoding::grid::Token;
use std::collections::HashSet;

#[test]
fn seed_windows_pad_both_sides() {
    let songs = vec![vec![5u32, 6, 7], vec![8, 9]];
    let w = Windows::new(&songs, 4);
    assert_eq!(w.len(), 3 + 1 + 2 + 1);
    assert_eq!(w.ids(), [0, 0, 0, 0, 5, 6, 7, 0, 0, 0, 0, 8, 9, 0, 0, 0, 0]);
    assert_eq!((w.input(0), w.target(0)), (&[0, 0, 0, 0][..], 5));
    assert_eq!((w.input(3), w.target(3)), (&[0, 5, 6, 7][..], 0));
    assert_eq!(w.targets_all(3), [5, 6, 7, 0]);
    assert_eq!((w.input(4), w.target(4)), (&[0, 0, 0, 0][..], 8));
    assert_eq!((w.input(6), w.target(6)), (&[0, 0, 8, 9][..], 0));
    assert_eq!(w.windows_of_song(1), 4..7);
    assert_eq!(w.windows_of_song(9), 0..0);
}

#[test]
fn stride_keeps_the_last_window_of_each_song() {
    let songs = vec![(1..=10).collect::<Vec<u32>>(), vec![1, 2, 3]];
    let w = Windows::new(&songs, 8);
    let all: Vec<usize> = (0..w.len()).collect();
    // Song 0: positions 0, 4, 8 and 10 (the terminator); song 1: 0 and 3.
    let picked = w.strided(&all, 4, 0);
    assert_eq!(picked, [0, 4, 8, 10, 11, 14]);
    assert_eq!(w.target(10), 0);
    assert_eq!(w.input(10).last(), Some(&10));
    assert_eq!(w.target(11), 1);
    assert_eq!(w.target(14), 0);
    assert_eq!(w.input(14), [0, 0, 0, 0, 0, 1, 2, 3]);
    assert_eq!(w.targets_all(14), [0, 0, 0, 0, 1, 2, 3, 0]);
    // Only the given indices are considered, in their order; stride 1 keeps them all.
    assert_eq!(w.strided(&[14, 3, 4], 4, 0), [14, 4]);
    // Another phase: song 0 from position 1 (1, 5, 9, then 10), song 1 from 1 (1, 3).
    assert_eq!(w.strided(&all, 4, 1), [1, 5, 9, 10, 12, 14]);
    assert_eq!(w.strided(&all, 1, 0), all);
    let exact = Windows::new(&[vec![1u32, 2, 3, 4]], 2);
    assert_eq!(exact.strided(&[0, 1, 2, 3, 4], 2, 0), [0, 2, 4]); // the last one is already on the stride
}

#[test]
fn split_by_song_keeps_songs_apart_and_is_deterministic() {
    let songs: Vec<Vec<u32>> = (0..50).map(|i| vec![1; 1 + i % 7]).collect();
    let w = Windows::new(&songs, 16);
    let by_song = SplitConfig {
        mode: SplitMode::BySong,
        ..SplitConfig::default()
    };
    let none = vec![0; songs.len()];
    let s = split(&w, &none, &by_song);
    assert_eq!(s, split(&w, &none, &by_song));
    assert_ne!(s, split(&w, &none, &SplitConfig { seed: 1, ..by_song }));
    assert_eq!(s.train.len() + s.valid.len() + s.test.len(), w.len());
    let song_of = |i: &usize| {
        (0..songs.len())
            .find(|&k| w.windows_of_song(k).contains(i))
            .unwrap()
    };
    let train: HashSet<usize> = s.train.iter().map(song_of).collect();
    let valid: HashSet<usize> = s.valid.iter().map(song_of).collect();
    let test: HashSet<usize> = s.test.iter().map(song_of).collect();
    assert_eq!((train.len(), valid.len(), test.len()), (40, 5, 5));
    assert!(train.is_disjoint(&test) && train.is_disjoint(&valid) && valid.is_disjoint(&test));
}

#[test]
fn split_by_window_is_the_seeds_comparison_mode() {
    let songs: Vec<Vec<u32>> = (0..10).map(|_| vec![1; 9]).collect();
    let w = Windows::new(&songs, 4);
    let s = split(
        &w,
        &[],
        &SplitConfig {
            mode: SplitMode::ByWindow,
            ..SplitConfig::default()
        },
    );
    assert_eq!((s.train.len(), s.valid.len(), s.test.len()), (80, 10, 10));
    let all: HashSet<usize> = s
        .train
        .iter()
        .chain(&s.valid)
        .chain(&s.test)
        .copied()
        .collect();
    assert_eq!(all.len(), 100);
}

/// Tokens from text like `60 _ 62 r`.
fn tokens(text: &str) -> Vec<Token> {
    text.split(' ').map(|t| t.parse().unwrap()).collect()
}

#[test]
fn the_grouped_split_never_puts_a_shared_opening_into_two_parts() {
    // 60 songs: 20 tunes in three variants each (same first 12 pitches, different endings,
    // one with rests and holds in other places), plus 40 tunes of their own.
    let tune = |i: u8| -> String {
        (0..12)
            .map(|k| format!("{} _ ", 50 + (i * 7 + k * 3) % 30))
            .collect()
    };
    let mut songs = Vec::new();
    let mut group = Vec::new();
    for i in 0..20u8 {
        songs.push(tokens(&format!("{}72 _", tune(i))));
        songs.push(tokens(&format!("r {}65", tune(i).replace(" _ ", " "))));
        songs.push(tokens(&format!("{}60 _ _ _ 62", tune(i))));
        group.extend([i as usize; 3]);
    }
    for i in 20..60u8 {
        songs.push(tokens(&format!("{}{} _", tune(i), 40 + i)));
        group.push(100 + i as usize);
    }
    let openings: Vec<u64> = songs.iter().map(|s| opening(s)).collect();
    let parts = split_songs(&openings, &SplitConfig::default());
    let part_of = |song: usize| {
        [&parts.train, &parts.valid, &parts.test]
            .iter()
            .position(|p| p.contains(&song))
            .unwrap()
    };
    for a in 0..songs.len() {
        for b in 0..songs.len() {
            if group[a] == group[b] {
                assert_eq!(part_of(a), part_of(b), "songs {a} and {b} share an opening");
            }
        }
    }
    assert_eq!(
        parts.train.len() + parts.valid.len() + parts.test.len(),
        songs.len()
    );
    assert!(!parts.valid.is_empty() && !parts.test.is_empty());
    // A song's part does not depend on the other songs: the first 30 alone split the same way.
    let alone = split_songs(&openings[..30], &SplitConfig::default());
    for song in 0..30 {
        let part = [&alone.train, &alone.valid, &alone.test]
            .iter()
            .position(|p| p.contains(&song))
            .unwrap();
        assert_eq!(part, part_of(song));
    }
}
