//! The comparison a user asks for in the page: tunes written with the current settings
//! against the held-out songs of the model's split ([`Reference`], carried by the model file),
//! with near copies of the songs of an uploaded corpus when there is one.

use serde::{Deserialize, Serialize};

use super::{Melody, Profile, Reference, Report, compare_with};

/// Tunes the page writes for one comparison.
pub const PANEL_TUNES: u64 = 200;

/// What the panel shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Overlaps per feature, rates of both sets, near copies.
    pub report: Report,
    /// The written tunes' distributions.
    pub generated: Profile,
    /// The held-out songs' distributions.
    pub reference: Profile,
    /// The name of the corpus song each near copy copies, in [`Report::copies`] order; `None`
    /// when no corpus was there to look in.
    pub copied: Option<Vec<String>>,
}

/// Compares `generated` with `reference`, looking for near copies of `corpus` songs (their
/// melodies and names) when given; `seed` as in [`compare_with`].
pub fn compare_tunes(
    generated: &[Melody],
    reference: &Reference,
    corpus: Option<(&[Melody], &[String])>,
    seed: u64,
) -> Comparison {
    let songs = corpus.map_or(&[][..], |(songs, _)| songs);
    let report = compare_with(generated, reference, songs, seed);
    let copied = corpus.map(|(_, names)| {
        report
            .copies
            .copies
            .iter()
            .map(|c| names.get(c.training).cloned().unwrap_or_default())
            .collect()
    });
    Comparison {
        generated: Profile::of(generated),
        reference: reference.profile.clone(),
        report,
        copied,
    }
}
