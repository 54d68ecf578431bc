//! A network's parameters as plain `f32` arrays, read from a model file's weights (burn's
//! burnpack format, through the `burn-pack` crate) without the rest of burn: what the CPU
//! kernel generates with, in the page and natively.
//!
//! Reading checks every parameter the config describes, by name and shape, so that the kernel
//! can index them without further checks. Parameters may be stored as f32 or, to halve a
//! download, as f16 ([`halve`]); they are always computed with as f32.

use std::collections::BTreeMap;

use burn_pack::{Bytes, DType, Reader, Tensor, Writer};
use half::f16;

use super::ModelConfig;

/// A linear map: `weight [inputs, outputs]` row-major, and `bias [outputs]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// `[inputs, outputs]`.
    pub weight: Vec<f32>,
    /// `[outputs]`.
    pub bias: Vec<f32>,
}

/// One LSTM layer: gates in the order input, forget, output, cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// `[d_input, 4h]`.
    pub input_weight: Vec<f32>,
    /// `[h, 4h]`.
    pub hidden_weight: Vec<f32>,
    /// The input and hidden biases summed, `[4h]`.
    pub bias: Vec<f32>,
    /// Hidden units `h`.
    pub hidden: usize,
}

/// The look-back head's three projections, each `[hidden, width]`.
#[derive(Clone, Debug, PartialEq)]
pub struct LookBack {
    /// Keys and values' width.
    pub width: usize,
    /// What a step asks for.
    pub query: Linear,
    /// What a step is found by.
    pub key: Linear,
    /// What a step gives when found.
    pub value: Linear,
    /// The copy head: its query `[hidden, width]` and its gate `[hidden + width, 1]`.
    pub copy: Option<(Linear, Linear)>,
}

/// Every parameter of a network, checked against its config.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    /// Token embedding `[vocab, embedding]`.
    pub embedding: Vec<f32>,
    /// Width of the embedding.
    pub embedding_dim: usize,
    /// Each conditioning input's table `[classes, 4h]` (first layer's gates).
    pub inputs: Vec<Vec<f32>>,
    /// The LSTM layers, bottom first.
    pub layers: Vec<Layer>,
    /// The look-back head, if the network has one.
    pub look_back: Option<LookBack>,
    /// Output layer `[hidden + look-back width, vocab]`.
    pub output: Linear,
}

/// Raw parameters by name, as a burnpack holds them.
struct Pack(BTreeMap<String, (Vec<usize>, Vec<f32>)>);

impl Pack {
    fn read(bytes: &[u8]) -> Result<Self, String> {
        let mut params = BTreeMap::new();
        for tensor in tensors(bytes)? {
            let shape = tensor.shape.to_vec();
            let (name, dtype, _, _, bytes) = tensor.into_parts().map_err(|e| e.to_string())?;
            let values: Vec<f32> = match dtype {
                DType::F32 => f32s(&bytes).collect(),
                DType::F16 => bytes
                    .chunks_exact(2)
                    .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                    .collect(),
                other => return Err(format!("{name} holds {other:?} values, not f32 or f16")),
            };
            if values.len() != shape.iter().product::<usize>() {
                return Err(format!(
                    "{name} has {} values for shape {shape:?}",
                    values.len()
                ));
            }
            params.insert(name, (shape, values));
        }
        Ok(Self(params))
    }

    /// The parameter `name`, which must have `shape`.
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
        let (found, values) = self
            .0
            .remove(name)
            .ok_or_else(|| format!("the parameter {name} is missing"))?;
        if found != shape {
            return Err(format!(
                "{name} has shape {found:?}, the network needs {shape:?}"
            ));
        }
        Ok(values)
    }

    fn linear(&mut self, name: &str, inputs: usize, outputs: usize) -> Result<Linear, String> {
        Ok(Linear {
            weight: self.take(&format!("{name}.weight"), &[inputs, outputs])?,
            bias: self.take(&format!("{name}.bias"), &[outputs])?,
        })
    }
}

impl Weights {
    /// Reads the burnpack `bytes` of a network shaped by `config`.
    pub fn read(bytes: &[u8], config: &ModelConfig) -> Result<Self, String> {
        config.validate()?;
        let mut pack = Pack::read(bytes)?;
        let (vocab, e, h) = (config.vocab_size, config.embedding_dim, config.hidden);
        let embedding = pack.take("embedding.weight", &[vocab, e])?;
        let inputs = config
            .input_classes()
            .into_iter()
            .enumerate()
            .map(|(i, classes)| pack.take(&format!("inputs.{i}.weight"), &[classes, 4 * h]))
            .collect::<Result<_, _>>()?;
        let layers = (0..config.layers)
            .map(|i| {
                let d_input = if i == 0 { e } else { h };
                let name = |part: &str| format!("layers.{i}.{part}");
                let input_bias = pack.take(&name("input_bias"), &[4 * h])?;
                let hidden_bias = pack.take(&name("hidden_bias"), &[4 * h])?;
                Ok(Layer {
                    input_weight: pack.take(&name("input_weight"), &[d_input, 4 * h])?,
                    hidden_weight: pack.take(&name("hidden_weight"), &[h, 4 * h])?,
                    bias: input_bias
                        .iter()
                        .zip(&hidden_bias)
                        .map(|(a, b)| a + b)
                        .collect(),
                    hidden: h,
                })
            })
            .collect::<Result<_, String>>()?;
        let width = config.look_back;
        let look_back = if width > 0 {
            Some(LookBack {
                width,
                query: pack.linear("look_back.query", h, width)?,
                key: pack.linear("look_back.key", h, width)?,
                value: pack.linear("look_back.value", h, width)?,
                copy: if config.copy {
                    Some((
                        pack.linear("look_back.copy.query", h, width)?,
                        pack.linear("look_back.copy.gate", h + width, 1)?,
                    ))
                } else {
                    None
                },
            })
        } else {
            None
        };
        let output = pack.linear("output", h + width, vocab)?;
        Ok(Self {
            embedding,
            embedding_dim: e,
            inputs,
            layers,
            look_back,
            output,
        })
    }
}

/// The burnpack `bytes` with every f32 parameter stored as f16 (rounded to nearest): half the
/// size, for the page's download. Reading widens them back to f32.
pub fn halve(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let tensors = tensors(bytes)?
        .into_iter()
        .map(|tensor| {
            let shape = tensor.shape.clone();
            let (name, dtype, _, id, bytes) = tensor.into_parts().map_err(|e| e.to_string())?;
            if dtype != DType::F32 {
                return Ok(Tensor::new(name, dtype, shape, id, bytes));
            }
            let half: Vec<u8> = f32s(&bytes)
                .flat_map(|v| f16::from_f32(v).to_le_bytes())
                .collect();
            let half = Bytes::from_bytes_vec(half);
            Ok(Tensor::new(name, DType::F16, shape, id, half))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Writer::new(tensors)
        .into_bytes()
        .map(|bytes| bytes.to_vec())
        .map_err(|e| e.to_string())
}

/// The tensors of the burnpack `bytes`.
fn tensors(bytes: &[u8]) -> Result<Vec<Tensor>, String> {
    Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .and_then(Reader::into_tensors)
        .map_err(|e| e.to_string())
}

/// Little-endian f32 values.
fn f32s(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}
