//! Moving a model between devices without blocking reads.
//!
//! burn's own `to_device` and record export read parameters synchronously, which WebGPU in a
//! browser cannot do. [`to_device`] reads every parameter with burn's async reader first and
//! then rebuilds the module on the target device, keeping each parameter's id.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};

use super::MelodyModel;

/// Copies `model` to `device` (e.g. a WebGPU-trained model to the CPU, to save or sample it).
pub async fn to_device(model: &MelodyModel, device: &Device) -> Result<MelodyModel, String> {
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    let mut values = Vec::with_capacity(collect.0.len());
    for (dims, flat) in collect.0 {
        let data = flat.into_data_async().await.map_err(|e| e.to_string())?;
        let floats = data
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| format!("{e:?}"))?;
        values.push(TensorData::new(floats, dims));
    }
    let mut place = Place {
        values: values.into_iter(),
        device: device.clone(),
    };
    let moved = model.clone().map(&mut place);
    match place.values.next() {
        None => Ok(moved),
        Some(_) => Err("the model changed while it was being copied".into()),
    }
}

/// Gathers every float parameter, flattened, with its shape.
pub(super) struct Collect(pub(super) Vec<(Vec<usize>, Tensor<1>)>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        let dims = tensor.dims().to_vec();
        let len = dims.iter().product::<usize>();
        self.0.push((dims, tensor.reshape([len])));
    }
}

/// Replaces every float parameter, in visiting order, by the next value on `device`.
struct Place {
    values: std::vec::IntoIter<TensorData>,
    device: Device,
}

impl ModuleMapper for Place {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        match self.values.next() {
            Some(data) => {
                let device = self.device.clone();
                param.map(move |_| Tensor::from_data(data, &device))
            }
            None => param,
        }
    }
}
