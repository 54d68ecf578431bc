//! The comparison a user asks for in the page: tunes written with the current settings
//! against the held-out songs of the model's split ([`Reference`], carried by the model file),
//! with near copies of the songs of an uploaded corpus, or of the training songs of a model
//! shipped with their [`CopyIndex`].

use serde::{Deserialize, Serialize};

use super::{CopyIndex, Melody, Profile, Reference, Report, compare_with};

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

/// Compares `generated` with `reference`, looking for near copies in `copies` (the songs
/// of an uploaded corpus, or the index shipped beside a model) when given; `seed` as in
/// [`compare_with`].
pub fn compare_tunes(
    generated: &[Melody],
    reference: &Reference,
    copies: Option<&CopyIndex>,
    seed: u64,
) -> Comparison {
    let none = CopyIndex::default();
    let report = compare_with(generated, reference, copies.unwrap_or(&none), seed);
    let copied = copies.map(|index| {
        report
            .copies
            .copies
            .iter()
            .map(|c| index.name(c.training).to_string())
            .collect()
    });
    Comparison {
        generated: Profile::of(generated),
        reference: reference.profile.clone(),
        report,
        copied,
    }
}
