//! Several networks writing as one: at every step the next token is drawn from the mean of
//! their distributions (an ensemble of training runs), each network carrying its own state.

use super::decoder::log_softmax;
use super::{Decoder, Network};

/// Networks that write together; they must share vocabulary, conditioning and context.
pub struct Ensemble<N>(pub Vec<N>);

/// The decoders of an [`Ensemble`], one per network, fed the same tokens.
pub struct EnsembleDecoder<D>(Vec<D>);

impl<N: Network> Network for Ensemble<N> {
    type Decoder<'a>
        = EnsembleDecoder<N::Decoder<'a>>
    where
        Self: 'a;

    fn decoder(&self, context: &[u32], inputs: &[u32]) -> Self::Decoder<'_> {
        EnsembleDecoder(self.0.iter().map(|n| n.decoder(context, inputs)).collect())
    }
}

impl<D: Decoder> Decoder for EnsembleDecoder<D> {
    async fn next_logits(&mut self, token: Option<(u32, &[u32])>) -> Result<Vec<f32>, String> {
        if let [decoder] = self.0.as_mut_slice() {
            return decoder.next_logits(token).await;
        }
        let mut each = Vec::with_capacity(self.0.len());
        for decoder in &mut self.0 {
            each.push(log_softmax(&decoder.next_logits(token).await?));
        }
        Ok(average_probabilities(each))
    }
}

/// The log of the mean of several distributions, each given as log-probabilities over the same
/// entries (one distribution: itself).
pub fn average_probabilities(mut each: Vec<Vec<f32>>) -> Vec<f32> {
    if each.len() == 1 {
        return each.pop().unwrap_or_default();
    }
    let ln_n = (each.len() as f32).ln();
    (0..each.first().map_or(0, Vec::len))
        .map(|i| {
            let max = each
                .iter()
                .map(|lp| lp[i])
                .fold(f32::NEG_INFINITY, f32::max);
            max + each.iter().map(|lp| (lp[i] - max).exp()).sum::<f32>().ln() - ln_n
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decoder that always gives the same logits.
    struct Fixed(Vec<f32>);

    impl Decoder for Fixed {
        async fn next_logits(&mut self, _: Option<(u32, &[u32])>) -> Result<Vec<f32>, String> {
            Ok(self.0.clone())
        }
    }

    #[test]
    fn the_mean_of_two_distributions() {
        // Softmax of the first: [0.5, 0.5, 0]; of the second: [0, 0, 1] (up to e^-40).
        let mut decoder = EnsembleDecoder(vec![
            Fixed(vec![3.0, 3.0, -40.0]),
            Fixed(vec![-40.0, -40.0, 7.0]),
        ]);
        let logits = pollster::block_on(decoder.next_logits(None)).unwrap();
        let p: Vec<f32> = logits.iter().map(|l| l.exp()).collect();
        for (got, want) in p.iter().zip([0.25, 0.25, 0.5]) {
            assert!((got - want).abs() < 1e-6, "{p:?}");
        }
    }

    #[test]
    fn one_member_is_itself() {
        let log_probs = vec![(0.2f32).ln(), (0.8f32).ln()];
        assert_eq!(average_probabilities(vec![log_probs.clone()]), log_probs);
    }
}
