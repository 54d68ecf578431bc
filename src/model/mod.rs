//! The network (config, fused LSTM layer, full model) and the start-up check.

pub mod check;
pub mod config;
pub mod file;
pub mod kernel;
pub mod look_back;
pub mod lstm;
pub mod network;
pub mod sequence;
pub mod transfer;

pub use config::{LayerSummary, ModelConfig};
pub use lstm::{FusedLstm, LstmState};
pub use network::{MelodyModel, State};
