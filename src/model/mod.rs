//! The network: its shape ([`config`]), its weights as plain arrays
//! ([`weights`]) and the CPU kernel ([`kernel`]); with the `training` feature, the network as
//! burn tensors (fused LSTM layer, look-back head, full model) and the start-up check; with the
//! `gpu` feature, the LSTM's GPU kernels ([`gpu_kernel`]).

#[cfg(feature = "training")]
pub mod average;
mod block_matmul;
#[cfg(feature = "training")]
pub mod check;
pub mod config;
#[cfg(feature = "training")]
pub mod dropout;
#[cfg(feature = "gpu")]
pub mod gpu_kernel;
pub mod kernel;
#[cfg(feature = "training")]
pub mod look_back;
#[cfg(feature = "training")]
pub mod lstm;
#[cfg(feature = "training")]
pub mod network;
#[cfg(feature = "training")]
pub mod readback;
#[cfg(feature = "training")]
pub mod sequence;
#[cfg(feature = "training")]
pub mod transfer;
pub mod weights;

pub use config::{LayerSummary, ModelConfig};
#[cfg(feature = "training")]
pub use lstm::{FusedLstm, LstmState};
#[cfg(feature = "training")]
pub use network::{MelodyModel, State};
pub use weights::Weights;
