//! Averaging a network's weights over training (stochastic weight averaging): the mean of the
//! weights at several epoch ends, one network that costs no more to run than each of them.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::Tensor;

use super::MelodyModel;
use super::transfer::Collect;

/// Moves `average`, the mean of `count` networks, to the mean of those and `model` (a network of
/// the same shape, on the same device). Lazy on the device: nothing is read back.
pub fn fold_in(average: MelodyModel, model: &MelodyModel, count: usize) -> MelodyModel {
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    let mut blend = Blend {
        values: collect.0.into_iter(),
        weight: 1.0 / (count + 1) as f64,
    };
    average.map(&mut blend)
}

/// Moves every float parameter, in visiting order, the `weight` of the way to the next value.
struct Blend {
    /// Each parameter of the network folded in, flattened, with its shape (unused: the
    /// average's own shape is the same).
    values: std::vec::IntoIter<(Vec<usize>, Tensor<1>)>,
    weight: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        match self.values.next() {
            Some((_, flat)) => {
                let weight = self.weight;
                param.map(move |mean| {
                    let next: Tensor<D> = flat.reshape(mean.dims());
                    mean.clone() + (next - mean).mul_scalar(weight)
                })
            }
            None => param,
        }
    }
}
