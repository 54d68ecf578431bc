//! The MGEval comparison of a generated set against a reference (held-out) set.
//!
//! For each feature, the distances between pairs of reference melodies (`within`) and between
//! generated and reference melodies (`between`) are two samples. Each is smoothed by a Gaussian
//! kernel density estimate on one shared grid; the overlap area of the two densities and the
//! KL divergence of `within` from `between` say how well the generated set fits. The same
//! numbers for two random halves of the reference set are the ceiling: what a set as good as
//! the held-out songs themselves would score.

use rand::SeedableRng;
use rand::seq::{SliceRandom, index};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::Melody;
use super::copies::{CopyIndex, CopyReport};
use super::features::{Feature, mean, share};
use super::profile::Profile;

/// Held-out songs whose statistics a model file carries ([`Reference`]).
pub const REFERENCE_SONGS: usize = 200;

/// Decimals a model file keeps of each statistic.
pub const REFERENCE_DIGITS: i32 = 4;

/// At most this many melody pairs make each distance sample (drawn with the seed when more).
pub const MAX_PAIRS: usize = 20_000;

/// Points of the grid the densities are evaluated on.
const GRID_POINTS: usize = 1000;

/// Index of the grid's last point.
const LAST_POINT: usize = GRID_POINTS - 1;

/// The grid reaches this many (larger) bandwidths beyond the samples.
const GRID_MARGIN: f64 = 3.0;

/// Kernels are cut off this many bandwidths from their centre.
const KERNEL_REACH: f64 = 6.0;

/// Added to both densities in the KL logarithm, relative to the grid's inverse span.
const KL_EPSILON: f64 = 1e-10;

/// How alike two samples' densities are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// Area under the smaller of the two densities: 1 for the same distribution, 0 for disjoint.
    pub overlap: f64,
    /// KL divergence of the first density from the second, in nats (0 for the same).
    pub kl: f64,
}

/// One feature's comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureReport {
    /// The feature's name ([`Feature::name`]).
    pub name: String,
    /// Overlap of the within-reference and generated-to-reference distance densities.
    pub overlap: f64,
    /// KL divergence of the within-reference density from the generated-to-reference one.
    pub kl: f64,
    /// The overlap between two random halves of the reference set.
    pub ceiling_overlap: f64,
    /// The KL divergence between two random halves of the reference set.
    pub ceiling_kl: f64,
    /// Mean of the feature (its Euclidean norm for vectors) over the generated set.
    pub mean_generated: f64,
    /// Mean of the feature (its Euclidean norm for vectors) over the reference set.
    pub mean_reference: f64,
}

/// Rates over one set of melodies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SetRates {
    /// Number of melodies.
    pub tunes: usize,
    /// Share of melodies whose last note is on the tonic.
    pub tonic_endings: f64,
    /// Share of melodies that fill whole bars ([`Melody::whole_bars`]).
    pub whole_bars: f64,
    /// Median length in grid steps.
    pub median_length: f64,
    /// Mean share of a melody's bars after the pickup that repeat an earlier bar (none in
    /// statistics saved before it).
    #[serde(default)]
    pub repeated_bars: Option<f64>,
}

impl SetRates {
    /// The rates of a set (all zeros, and no share of repeated bars, when it is empty).
    pub fn of(set: &[Melody]) -> SetRates {
        let tonic = |m: &&Melody| Feature::TonicEnding.of(m)[0] > 0.5;
        SetRates {
            tunes: set.len(),
            tonic_endings: share(set.iter().filter(tonic).count(), set.len()),
            whole_bars: share(set.iter().filter(|m| m.whole_bars()).count(), set.len()),
            median_length: median(set.iter().map(|m| m.tokens.len()).collect()),
            repeated_bars: (!set.is_empty()).then(|| {
                mean(
                    &set.iter()
                        .map(|m| Feature::RepeatedBars.of(m)[0])
                        .collect::<Vec<_>>(),
                )
            }),
        }
    }
}

/// A generated set measured against a reference set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// One entry per feature, in [`Feature::ALL`] order.
    pub features: Vec<FeatureReport>,
    /// Rates over the generated set.
    pub generated: SetRates,
    /// Rates over the reference set.
    pub reference: SetRates,
    /// Generated tunes that repeat bars of training songs.
    pub copies: CopyReport,
}

/// The held-out songs as the comparison needs them: every feature of every song, their
/// rates and their distributions. Statistics only, no notes: it can ship with a model whose
/// corpus does not ([`crate::model_file::ModelHeader`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// `[song][feature in Feature::ALL order]` values.
    pub table: Vec<Vec<Vec<f64>>>,
    /// Tonic endings, whole bars and median length.
    pub rates: SetRates,
    /// The distributions the panel draws.
    pub profile: Profile,
}

impl Reference {
    /// The statistics of `songs`; values rounded to `digits` decimals (what a file needs to
    /// keep; the comparison barely moves) when given.
    pub fn new(songs: &[Melody], digits: Option<i32>) -> Reference {
        let mut table = table(songs);
        if let Some(digits) = digits {
            let scale = 10f64.powi(digits);
            table
                .iter_mut()
                .flatten()
                .flatten()
                .for_each(|x| *x = (*x * scale).round() / scale);
        }
        Reference {
            table,
            rates: SetRates::of(songs),
            profile: Profile::of(songs),
        }
    }
}

/// Compares `generated` with `reference` feature by feature and looks for near copies of
/// `training` songs. `seed` drives the pair subsampling and the split into halves, so the
/// report is the same for the same inputs. When both sets are the same, `between` uses the
/// same pairs as `within` and every overlap is 1.
pub fn compare(
    generated: &[Melody],
    reference: &[Melody],
    training: &[Melody],
    seed: u64,
) -> Report {
    let copies = CopyIndex::new(training, Vec::new());
    compare_with(generated, &Reference::new(reference, None), &copies, seed)
}

/// [`compare`] against the statistics of the held-out songs and an index of the training
/// songs.
pub fn compare_with(
    generated: &[Melody],
    reference: &Reference,
    copies: &CopyIndex,
    seed: u64,
) -> Report {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let gen_table = table(generated);
    let ref_table = &reference.table;
    let same = gen_table == *ref_table;
    let pairs = Pairs::new(gen_table.len(), ref_table.len(), same, &mut rng);
    let ceiling = Ceiling::new(ref_table.len(), &mut rng);
    let features = Feature::ALL
        .iter()
        .enumerate()
        .map(|(f, feature)| {
            let (gen_values, ref_values) = (column(&gen_table, f), column(ref_table, f));
            let main = pairs.divergence(&gen_values, &ref_values);
            let top = ceiling.divergence(&ref_values);
            FeatureReport {
                name: feature.name().to_owned(),
                overlap: main.overlap,
                kl: main.kl,
                ceiling_overlap: top.overlap,
                ceiling_kl: top.kl,
                mean_generated: mean_norm(&gen_values),
                mean_reference: mean_norm(&ref_values),
            }
        })
        .collect();
    Report {
        features,
        generated: SetRates::of(generated),
        reference: reference.rates,
        copies: copies.find(generated),
    }
}

/// Overlap and KL divergence (`p` from `q`) of two samples' Gaussian kernel densities
/// (Scott's bandwidth each), evaluated on one shared grid. Samples without spread get a tiny
/// bandwidth, so identical constant samples overlap fully. Zeros when either sample is empty.
pub fn divergence(p: &[f64], q: &[f64]) -> Divergence {
    if p.is_empty() || q.is_empty() {
        return Divergence::default();
    }
    let (lo, hi) = bounds(p.iter().chain(q));
    let floor = (1e-6 * (hi - lo)).max(1e-9 * (1.0 + lo.abs().max(hi.abs())));
    let (hp, hq) = (bandwidth(p).max(floor), bandwidth(q).max(floor));
    let grid = Grid::covering(lo, hi, GRID_MARGIN * hp.max(hq));
    let (dp, dq) = (grid.density(p, hp), grid.density(q, hq));
    let eps = KL_EPSILON / grid.span();
    let both = || dp.iter().zip(&dq);
    Divergence {
        overlap: grid.integral(both().map(|(a, b)| a.min(*b))).min(1.0),
        kl: grid
            .integral(both().map(|(a, b)| a * ((a + eps) / (b + eps)).ln()))
            .max(0.0),
    }
}

/// Index pairs whose distances make the two samples.
struct Pairs {
    /// Reference × reference pairs, first index below the second.
    within: Vec<(usize, usize)>,
    /// Generated × reference pairs.
    between: Vec<(usize, usize)>,
}

impl Pairs {
    /// The pairs for sets of these sizes; `same` sets share the within pairs.
    fn new(generated: usize, reference: usize, same: bool, rng: &mut ChaCha8Rng) -> Pairs {
        let within = within_pairs(reference, rng);
        let between = if same {
            within.clone()
        } else {
            between_pairs(generated, reference, rng)
        };
        Pairs { within, between }
    }

    /// The divergence of the two distance samples, given each melody's feature values.
    fn divergence(&self, generated: &[&[f64]], reference: &[&[f64]]) -> Divergence {
        let distances = |pairs: &[(usize, usize)], left: &[&[f64]]| -> Vec<f64> {
            pairs
                .iter()
                .map(|&(i, j)| distance(left[i], reference[j]))
                .collect()
        };
        divergence(
            &distances(&self.within, reference),
            &distances(&self.between, generated),
        )
    }
}

/// Two random halves of the reference set, the first standing in for the reference and the
/// second for a generated set.
struct Ceiling {
    /// Reference indices of the first half.
    first: Vec<usize>,
    /// Reference indices of the second half.
    second: Vec<usize>,
    /// Pairs over the halves (second × first between them).
    pairs: Pairs,
}

impl Ceiling {
    /// A seeded split of `reference` melodies into halves (the second one larger when odd).
    fn new(reference: usize, rng: &mut ChaCha8Rng) -> Ceiling {
        let mut order: Vec<usize> = (0..reference).collect();
        order.shuffle(rng);
        let second = order.split_off(reference / 2);
        let pairs = Pairs::new(second.len(), order.len(), false, rng);
        Ceiling {
            first: order,
            second,
            pairs,
        }
    }

    /// The divergence between the halves, given each reference melody's feature values.
    fn divergence(&self, reference: &[&[f64]]) -> Divergence {
        let pick = |half: &[usize]| half.iter().map(|&i| reference[i]).collect::<Vec<_>>();
        self.pairs
            .divergence(&pick(&self.second), &pick(&self.first))
    }
}

/// Which of `total` pairs to use, in ascending order: all of them, or [`MAX_PAIRS`] drawn
/// without replacement.
fn chosen(total: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    if total <= MAX_PAIRS {
        return (0..total).collect();
    }
    let mut picks = index::sample(rng, total, MAX_PAIRS).into_vec();
    picks.sort_unstable();
    picks
}

/// Pairs `(i, j)` with `i < j < n`, numbered row by row.
fn within_pairs(n: usize, rng: &mut ChaCha8Rng) -> Vec<(usize, usize)> {
    let (mut row, mut row_start) = (0, 0);
    chosen(n * n.saturating_sub(1) / 2, rng)
        .into_iter()
        .map(|k| {
            while k >= row_start + (n - 1 - row) {
                row_start += n - 1 - row;
                row += 1;
            }
            (row, row + 1 + k - row_start)
        })
        .collect()
}

/// Pairs `(i, j)` with `i < generated`, `j < reference`, numbered row by row.
fn between_pairs(generated: usize, reference: usize, rng: &mut ChaCha8Rng) -> Vec<(usize, usize)> {
    chosen(generated * reference, rng)
        .into_iter()
        .map(|k| (k / reference, k % reference))
        .collect()
}

/// Euclidean distance (the absolute difference for scalars).
fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Every feature of every melody: `[melody][feature in Feature::ALL order]`.
fn table(set: &[Melody]) -> Vec<Vec<Vec<f64>>> {
    set.iter()
        .map(|m| Feature::ALL.iter().map(|f| f.of(m)).collect())
        .collect()
}

/// One feature's values for every melody of a table.
fn column(table: &[Vec<Vec<f64>>], feature: usize) -> Vec<&[f64]> {
    table.iter().map(|row| row[feature].as_slice()).collect()
}

/// Mean Euclidean norm (the value itself for the non-negative scalars); 0 for no melodies.
fn mean_norm(values: &[&[f64]]) -> f64 {
    let norms: Vec<f64> = values
        .iter()
        .map(|v| v.iter().map(|x| x * x).sum::<f64>().sqrt())
        .collect();
    mean(&norms)
}

/// Median; 0 for no values.
fn median(mut values: Vec<usize>) -> f64 {
    values.sort_unstable();
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2] as f64,
        n => (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0,
    }
}

/// Smallest and largest value (infinities, the wrong way round, when there are none).
fn bounds<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
        (lo.min(x), hi.max(x))
    })
}

/// Scott's bandwidth: `n^(-1/5)` times the sample's standard deviation.
fn bandwidth(sample: &[f64]) -> f64 {
    let n = sample.len() as f64;
    let m = mean(sample);
    let variance = sample.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    n.powf(-0.2) * variance.sqrt()
}

/// Evenly spaced points where densities are evaluated.
struct Grid {
    /// The first point.
    lo: f64,
    /// Spacing between points.
    dx: f64,
}

impl Grid {
    /// A grid over `lo..=hi` widened by `margin` on both sides.
    fn covering(lo: f64, hi: f64, margin: f64) -> Grid {
        Grid {
            lo: lo - margin,
            dx: (hi - lo + 2.0 * margin) / LAST_POINT as f64,
        }
    }

    /// Distance from the first point to the last.
    fn span(&self) -> f64 {
        self.dx * LAST_POINT as f64
    }

    /// The Gaussian kernel density of `sample` with bandwidth `h`, scaled to integrate to 1
    /// over the grid. Samples are first shared between their two nearest points (linear
    /// binning), then spread by the kernel.
    fn density(&self, sample: &[f64], h: f64) -> Vec<f64> {
        let kernel = self.kernel(h);
        let reach = kernel.len() - 1;
        let mut density = vec![0.0; GRID_POINTS];
        for (i, w) in self.binned(sample).into_iter().enumerate() {
            if w == 0.0 {
                continue;
            }
            for (j, d) in density
                .iter_mut()
                .enumerate()
                .take(i + reach + 1)
                .skip(i.saturating_sub(reach))
            {
                *d += w * kernel[i.abs_diff(j)];
            }
        }
        let total = self.integral(density.iter().copied());
        if total > 0.0 {
            density.iter_mut().for_each(|d| *d /= total);
        }
        density
    }

    /// How much of the sample falls on each point, each value shared between its two
    /// nearest points in proportion to closeness.
    fn binned(&self, sample: &[f64]) -> Vec<f64> {
        let mut weights = vec![0.0; GRID_POINTS];
        let last = LAST_POINT as f64;
        for &x in sample {
            let t = ((x - self.lo) / self.dx).clamp(0.0, last);
            let i = (t.floor() as usize).min(LAST_POINT - 1);
            let frac = t - i as f64;
            weights[i] += 1.0 - frac;
            weights[i + 1] += frac;
        }
        weights
    }

    /// The Gaussian kernel of bandwidth `h` at 0, 1, 2, … grid steps, up to its reach.
    fn kernel(&self, h: f64) -> Vec<f64> {
        let reach = ((KERNEL_REACH * h / self.dx).ceil() as usize).min(LAST_POINT);
        (0..=reach)
            .map(|k| (-0.5 * (k as f64 * self.dx / h).powi(2)).exp())
            .collect()
    }

    /// Trapezoid rule over the grid's values.
    fn integral(&self, values: impl Iterator<Item = f64>) -> f64 {
        let sum: f64 = values
            .enumerate()
            .map(|(i, v)| match i {
                0 | LAST_POINT => v / 2.0,
                _ => v,
            })
            .sum();
        sum * self.dx
    }
}
