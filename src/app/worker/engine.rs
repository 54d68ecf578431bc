//! Chooses and starts the burn device in the page: WebGPU when the browser offers an
//! adapter and burn's wgpu runtime initialises, else the CPU backend.

use burn::tensor::Device;
use js_sys::{Function, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::app::services::browser::property;
use crate::backend::{BackendInfo, CpuBackend};

/// A started device and what the user is told about it.
#[derive(Clone)]
pub struct Engine {
    /// What runs the model.
    pub info: BackendInfo,
    /// The burn device (without autodiff).
    pub device: Device,
}

/// Starts the best available backend. Never fails: every WebGPU problem falls back to the CPU
/// with the reason recorded in [`BackendInfo::Cpu`].
pub async fn start(force_cpu: bool) -> Engine {
    let reason = if force_cpu {
        "forced by the user (setting)".to_string()
    } else {
        match webgpu_adapter().await {
            Err(reason) => reason,
            Ok((adapter, fallback)) => match Device::wgpu_options().init_async().await {
                Ok(device) => {
                    // A software adapter runs workgroups on CPU threads: gathers and the
                    // direct weight-gradient kernel beat products there.
                    crate::model::network::lookup_products_on_gpu(!fallback);
                    if fallback {
                        use crate::model::gpu_kernel::{Tuning, tune};
                        tune(Tuning::SOFTWARE);
                    }
                    return Engine {
                        info: BackendInfo::WebGpu { adapter },
                        device,
                    };
                }
                Err(err) => format!("WebGPU failed to start: {err}"),
            },
        }
    };
    let backend = CpuBackend::default();
    Engine {
        info: BackendInfo::Cpu { backend, reason },
        device: backend.device(),
    }
}

/// Asks `navigator.gpu` for an adapter and returns its name and whether it is a fallback
/// (software) adapter, or why there is none.
async fn webgpu_adapter() -> Result<(String, bool), String> {
    // `navigator` of the window or of a worker: training runs in a dedicated worker.
    let navigator = property(&js_sys::global(), "navigator");
    let gpu = property(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU".into());
    }
    let request: Function = property(&gpu, "requestAdapter")
        .dyn_into()
        .map_err(|_| "navigator.gpu.requestAdapter is missing")?;
    let promise: Promise = request
        .call0(&gpu)
        .and_then(|p| p.dyn_into())
        .map_err(|e| format!("requestAdapter failed: {e:?}"))?;
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| format!("requestAdapter failed: {e:?}"))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU has no adapter here".into());
    }
    let info = property(&adapter, "info");
    let name = ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|field| property(&info, field).as_string())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let fallback = property(&info, "isFallbackAdapter").as_bool() == Some(true);
    let name = if name.is_empty() {
        "unnamed adapter".into()
    } else {
        name
    };
    Ok((name, fallback))
}
