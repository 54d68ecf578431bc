//! Windows as views into one buffer, strides, and the split.

use melodeon::data::{SplitConfig, SplitMode, Windows, split};
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
    let s = split(&w, &SplitConfig::default());
    assert_eq!(s, split(&w, &SplitConfig::default()));
    assert_ne!(
        s,
        split(
            &w,
            &SplitConfig {
                seed: 1,
                ..SplitConfig::default()
            }
        )
    );
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
