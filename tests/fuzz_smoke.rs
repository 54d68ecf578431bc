//! A short smoke run of every fuzz target (`tests/fuzz`, `./dev fuzz` for the real run): each
//! seed of its corpus and a few thousand deterministic mutations of it (bit flips, byte
//! changes, cuts, repeats) must come back without a panic.

#[path = "fuzz/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

/// Mutations per seed.
const MUTATIONS: usize = 300;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// xorshift64*: a fixed, portable sequence of mutations.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut data = seed.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(data.len());
            match self.below(5) {
                0 if !data.is_empty() => data[at] ^= 1 << self.below(8),
                1 if !data.is_empty() => data[at] = self.next() as u8,
                2 => data.truncate(at),
                3 => {
                    let end = (at + 1 + self.below(64)).min(data.len());
                    let piece = data[at..end].to_vec();
                    data.splice(at..at, piece);
                }
                _ => data.insert(at.min(data.len()), b"\n*-=.:_r0#b"[self.below(11)]),
            }
        }
        data
    }
}

fn smoke(target: fn(&[u8]), seeds: Vec<Vec<u8>>) {
    assert!(!seeds.is_empty(), "a seed corpus");
    let mut mutator = Mutator(0x9E37_79B9_7F4A_7C15);
    target(&[]);
    for seed in &seeds {
        target(seed);
        for _ in 0..MUTATIONS {
            target(&mutator.mutate(seed));
        }
    }
}

#[test]
fn kern_parser() {
    smoke(targets::kern, files_in(&root().join("tests/fixtures/kern")));
}

#[test]
fn esac_parser() {
    smoke(targets::esac, files_in(&root().join("tests/fixtures/esac")));
}

#[test]
fn zip_input() {
    smoke(
        targets::zip,
        vec![std::fs::read(root().join("tests/browser/fixtures/songs.zip")).unwrap()],
    );
}

#[test]
fn model_file_reader() {
    smoke(targets::model_file, files_in(&root().join("tests/models")));
}

#[test]
fn share_link_decoder() {
    smoke(
        targets::share_link,
        files_in(&root().join("tests/fuzz/seeds/share_link")),
    );
}

#[test]
fn primer_parser() {
    smoke(
        targets::primer,
        files_in(&root().join("tests/fuzz/seeds/primer")),
    );
}
