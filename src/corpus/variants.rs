//! Variants of one tune: songs whose openings agree are one tune written down more than once,
//! and must stay in one part of a split (`data::split`'s grouped mode).

use crate::encoding::grid::Token;

/// Pitches of the opening that make two songs variants of one tune (the reference script's
/// rule: the same first 12 pitches after transposition).
const OPENING_PITCHES: usize = 12;

/// The group key of a song: a hash of its first [`OPENING_PITCHES`] note tokens (rests and
/// holds skipped). Songs with the same key are kept in one part of a grouped split.
pub fn opening(tokens: &[Token]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for pitch in tokens
        .iter()
        .filter_map(|t| match t {
            Token::Note(m) => Some(*m),
            _ => None,
        })
        .take(OPENING_PITCHES)
    {
        hash = (hash ^ u64::from(pitch)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
