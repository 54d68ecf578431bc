//! Which burn device runs the model.
//!
//! burn 0.22 dispatches tensors at run time, so the model code is written once and the
//! device decides where it runs. The page prefers WebGPU and falls back to the CPU
//! (see `app::engine` for the browser probe); natively Melodeon always runs on the CPU.
//! The names and the report are plain data (the page shows them without burn); the devices
//! come with the `training` feature.

#[cfg(feature = "training")]
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// A pure-Rust CPU backend of burn; both also run in wasm32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CpuBackend {
    /// burn's newer CPU backend, `burn-flex`: the default, as it is faster than ndarray on every
    /// step measured, natively and in the page (docs/speed.md).
    #[default]
    Flex,
    /// burn's `ndarray` backend (deprecated upstream since burn 0.22), kept to compare against.
    NdArray,
}

#[cfg(feature = "training")]
impl CpuBackend {
    /// The burn device for this backend, without autodiff.
    #[allow(deprecated)] // `Device::ndarray` is deprecated upstream; it stays for comparison.
    pub fn device(self) -> Device {
        match self {
            CpuBackend::Flex => Device::flex(),
            CpuBackend::NdArray => Device::ndarray(),
        }
    }
}

impl CpuBackend {
    /// Short name as shown to the user: `flex` or `ndarray`.
    pub fn name(self) -> &'static str {
        match self {
            CpuBackend::Flex => "flex",
            CpuBackend::NdArray => "ndarray",
        }
    }

    /// Parses a name as printed by [`CpuBackend::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "flex" => Some(CpuBackend::Flex),
            "ndarray" => Some(CpuBackend::NdArray),
            _ => None,
        }
    }
}

/// The backend that runs the model, as reported to the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BackendInfo {
    /// burn's wgpu backend on a WebGPU adapter.
    WebGpu {
        /// The adapter's name as the browser reports it (vendor, architecture, description).
        adapter: String,
    },
    /// A CPU backend, with the reason WebGPU is not used (if it was wanted).
    Cpu {
        /// Which CPU backend.
        backend: CpuBackend,
        /// Why not WebGPU, e.g. "the browser has no WebGPU" or "forced by the user".
        reason: String,
    },
}

impl BackendInfo {
    /// Whether the model runs on WebGPU (else on a CPU backend).
    pub fn is_webgpu(&self) -> bool {
        matches!(self, BackendInfo::WebGpu { .. })
    }

    /// One line for the status bar and the command line, e.g. `WebGPU (google swiftshader)`.
    pub fn label(&self) -> String {
        match self {
            BackendInfo::WebGpu { adapter } => format!("WebGPU ({adapter})"),
            BackendInfo::Cpu { backend, .. } => format!("CPU ({})", backend.name()),
        }
    }
}

/// The backend the native command line uses: the default CPU backend (there is no
/// WebGPU outside a browser).
#[cfg(feature = "training")]
pub fn native() -> (BackendInfo, Device) {
    let backend = CpuBackend::default();
    let info = BackendInfo::Cpu {
        backend,
        reason: "native command line: WebGPU is only used in the page".into(),
    };
    (info, backend.device())
}
