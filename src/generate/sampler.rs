//! Drawing the next token from the model's logits: temperature, top-k, and a mask of the
//! tokens the decoder could not place. Runs on the CPU over logits read back asynchronously.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Sampling settings.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplerConfig {
    /// Softmax temperature: below 1 sharper, above 1 flatter ([`crate::settings::TEMPERATURE`]).
    pub temperature: f32,
    /// Keep only the `k` most likely tokens, if set.
    pub top_k: Option<usize>,
    /// Seed of the random generator: same model, seed and settings give the same tune.
    pub seed: u64,
}

/// A seeded sampler (ChaCha8, so the same seed draws the same numbers on every platform).
pub struct Sampler {
    rng: ChaCha8Rng,
    temperature: f32,
    top_k: Option<usize>,
}

impl Sampler {
    /// A sampler for `config`.
    pub fn new(config: &SamplerConfig) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            temperature: config.temperature.max(1e-3),
            top_k: config.top_k.filter(|&k| k > 0),
        }
    }

    /// Draws an index from `softmax(logits / temperature)` restricted to the indices where
    /// `allowed` is true (and to the top k among those). Returns `None` if nothing is allowed.
    pub fn sample(&mut self, logits: &[f32], allowed: impl Fn(usize) -> bool) -> Option<usize> {
        let probs = self.distribution(logits, allowed);
        let total: f64 = probs.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut target = self.rng.random::<f64>() * total;
        let mut last = None;
        for (index, &p) in probs.iter().enumerate() {
            if p > 0.0 {
                last = Some(index);
                if target < p {
                    return Some(index);
                }
                target -= p;
            }
        }
        last
    }

    /// The (unnormalised) probabilities `sample` draws from: zero where not allowed.
    pub fn distribution(&self, logits: &[f32], allowed: impl Fn(usize) -> bool) -> Vec<f64> {
        let mut candidates: Vec<(usize, f64)> = logits
            .iter()
            .enumerate()
            .filter(|&(index, value)| allowed(index) && value.is_finite())
            .map(|(index, &value)| (index, f64::from(value) / f64::from(self.temperature)))
            .collect();
        if let Some(k) = self.top_k {
            candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            candidates.truncate(k);
        }
        let max = candidates
            .iter()
            .map(|c| c.1)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut probs = vec![0.0; logits.len()];
        for (index, scaled) in candidates {
            probs[index] = (scaled - max).exp();
        }
        probs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler(temperature: f32, top_k: Option<usize>, seed: u64) -> Sampler {
        Sampler::new(&SamplerConfig {
            temperature,
            top_k,
            seed,
        })
    }

    #[test]
    fn same_seed_draws_the_same_sequence() {
        let logits = [0.1, 0.5, 0.2, 0.9];
        let draw = |seed| {
            let mut s = sampler(1.0, None, seed);
            (0..50)
                .map(|_| s.sample(&logits, |_| true).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn masked_tokens_are_never_drawn() {
        let mut s = sampler(2.0, None, 1);
        for _ in 0..500 {
            let index = s.sample(&[5.0, 0.0, 0.0], |i| i != 0).unwrap();
            assert_ne!(index, 0);
        }
        assert_eq!(s.sample(&[1.0, 2.0], |_| false), None);
    }

    #[test]
    fn top_k_keeps_only_the_most_likely() {
        let mut s = sampler(1.0, Some(2), 3);
        for _ in 0..500 {
            let index = s.sample(&[0.0, 3.0, 2.9, 1.0], |_| true).unwrap();
            assert!(index == 1 || index == 2);
        }
    }

    #[test]
    fn low_temperature_picks_the_argmax() {
        let mut s = sampler(0.01, None, 4);
        for _ in 0..100 {
            assert_eq!(s.sample(&[0.2, 1.0, 0.9], |_| true), Some(1));
        }
    }

    #[test]
    fn distribution_matches_softmax_with_temperature() {
        let s = sampler(0.5, None, 0);
        let probs = s.distribution(&[0.0, 1.0], |_| true);
        let total: f64 = probs.iter().sum();
        let expected = 1.0 / (1.0 + (2.0f64).exp());
        assert!((probs[0] / total - expected).abs() < 1e-12);
    }
}
