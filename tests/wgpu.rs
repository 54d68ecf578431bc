//! The page's WebGPU code path, natively through burn's wgpu backend (`--features gpu`): the
//! same numbers as the CPU. `./dev test` runs these on Mesa's lavapipe (Vulkan on the CPU),
//! so they need no GPU; on a machine with one, wgpu picks it.
#![cfg(feature = "gpu")]

use std::sync::OnceLock;

use burn::module::Module;
use burn::nn::{LstmConfig, LstmState as BurnState};
use burn::tensor::wgpu::{WgpuSetup, wgpu};
use burn::tensor::{Device, Distribution, Tensor};
use melodeon::data::condition::Layout;
use melodeon::data::songs::{self, SongSeq};
use melodeon::data::{Clock, Contour, batch};
use melodeon::generate::{CarriedState, Decoder, KernelDecoder};
use melodeon::model::check::startup_check;
use melodeon::model::{FusedLstm, LstmState, gpu_kernel, sequence};
use melodeon::song::Mode;

#[path = "common/adam.rs"]
mod adam;
#[path = "common/conditioned.rs"]
mod conditioned;
#[path = "common/fused.rs"]
mod fused;
use conditioned::conditioned_config;
use fused::fused_from;

/// The wgpu device (lavapipe under `./dev test`), started once for all the tests with
/// WebGPU's default limits, the ones every browser guarantees (eight storage buffers per
/// shader stage, 16 KiB of workgroup memory; see [`limits`]): lavapipe's own are larger, and a kernel within
/// them could still be refused in a browser.
fn gpu() -> Device {
    static DEVICE: OnceLock<Device> = OnceLock::new();
    DEVICE
        .get_or_init(|| {
            let instance = wgpu::Instance::default();
            let adapter = pollster::block_on(instance.request_adapter(&Default::default()))
                .expect("no wgpu adapter: install Mesa's lavapipe (mesa-vulkan-drivers)");
            let (device, queue) = pollster::block_on(
                adapter.request_device(&wgpu::DeviceDescriptor {
                    // The adapter's features, as CubeCL asks for them (it compiles for what
                    // the adapter offers); NVIDIA's Vulkan driver offers experimental ones,
                    // which need the opt-in below.
                    required_features: adapter
                        .features()
                        .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
                    required_limits: limits(&adapter),
                    // SAFETY: as in CubeCL's own device request (cubecl-wgpu's
                    // `try_request_device`): no experimental feature is used by these kernels.
                    experimental_features: unsafe { wgpu::ExperimentalFeatures::enabled() },
                    ..Default::default()
                }),
            )
            .expect("a wgpu device with WebGPU's default limits");
            let backend = adapter.get_info().backend;
            let setup = WgpuSetup {
                instance,
                adapter,
                device,
                queue,
                backend,
            };
            Device::wgpu_options()
                .setup(setup)
                .init()
                .expect("burn on the wgpu device")
        })
        .clone()
}

/// WebGPU's default limits; on a real GPU with the adapter's workgroup memory, since burn's
/// matrix products size their tiles for it (on an NVIDIA H200 one asked for 18 KiB and was
/// refused under 16). The page's device has the adapter's limits, as CubeCL asks for them.
fn limits(adapter: &wgpu::Adapter) -> wgpu::Limits {
    let mut limits = wgpu::Limits::default();
    if adapter.get_info().device_type != wgpu::DeviceType::Cpu {
        limits.max_compute_workgroup_storage_size =
            adapter.limits().max_compute_workgroup_storage_size;
    }
    limits
}

/// `tensor`'s values on `device` (a fresh leaf there, which may require gradients).
fn moved<const D: usize>(tensor: &Tensor<D>, device: &Device) -> Tensor<D> {
    Tensor::from_data(tensor.to_data(), device)
}

/// `tensor` (on any device) read back as f32s.
fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn the_start_up_check_gives_the_cpus_numbers() {
    let cpu = pollster::block_on(startup_check(&Device::flex())).unwrap();
    let gpu = pollster::block_on(startup_check(&gpu())).unwrap();
    assert!(
        max_diff(&cpu, &gpu) < 1e-4,
        "differ by {}",
        max_diff(&cpu, &gpu)
    );
}

/// Outputs, final cell state and the gradients of input, initial state and both weights of a
/// weighted sum of them, for the fused layer on `device`.
fn fused_run(
    layer: &FusedLstm,
    input: &Tensor<3>,
    [hidden, cell]: [&Tensor<2>; 2],
    (mix, mix_state): (&Tensor<3>, &Tensor<2>),
    device: &Device,
) -> Vec<Vec<f32>> {
    let [d_input, h] = layer.input_weight.val().dims();
    let layer = FusedLstm::new(d_input, h / 4, device).load_record(layer.clone().into_record());
    let input = moved(input, device).require_grad();
    let [h0, c0] = [hidden, cell].map(|t| moved(t, device).require_grad());
    let state = LstmState {
        hidden: h0.clone(),
        cell: c0.clone(),
    };
    let (out, state) = layer.forward(input.clone(), Some(state));
    let loss = (out.clone() * moved(mix, device)).sum()
        + (state.cell.clone() * moved(mix_state, device)).sum();
    let grads = loss.backward();
    vec![
        values(out.detach()),
        values(state.cell.detach()),
        values(input.grad(&grads).unwrap()),
        values(h0.grad(&grads).unwrap()),
        values(c0.grad(&grads).unwrap()),
        values(layer.hidden_weight.val().grad(&grads).unwrap()),
        values(layer.input_weight.val().grad(&grads).unwrap()),
    ]
}

/// The fused layer on wgpu (its CubeCL kernels) against burn's `nn::Lstm` (outputs) and the
/// CPU's fused operation (gradients, which tests/model.rs holds to burn's LSTM), for
/// `batch` sequences of `seq` steps, `d_input` inputs and `h` hidden units.
fn layer_matches_the_cpu(batch: usize, seq: usize, d_input: usize, h: usize) {
    assert!(
        sequence::supported(&gpu(), h),
        "the kernels should run for {h} hidden units"
    );
    let cpu = Device::flex();
    cpu.seed(7);
    let lstm = LstmConfig::new(d_input, h, true).init(&cpu);
    let fused = fused_from(&lstm);
    let normal = |sd| Distribution::Normal(0.0, sd);
    let input = Tensor::<3>::random([batch, seq, d_input], normal(1.0), &cpu);
    let mix = Tensor::<3>::random([batch, seq, h], normal(1.0), &cpu);
    let mix_state = Tensor::<2>::random([batch, h], normal(1.0), &cpu);
    let hidden = Tensor::<2>::random([batch, h], normal(0.5), &cpu);
    let cell = Tensor::<2>::random([batch, h], normal(0.5), &cpu);

    let (expected, expected_state) = lstm.forward(
        input.clone(),
        Some(BurnState::new(cell.clone(), hidden.clone())),
    );
    let on = |device: &Device| {
        let device = device.clone().autodiff();
        fused_run(
            &fused,
            &input,
            [&hidden, &cell],
            (&mix, &mix_state),
            &device,
        )
    };
    let on_cpu = on(&cpu);
    let on_gpu = on(&gpu());
    assert!(max_diff(&values(expected), &on_gpu[0]) < 1e-4);
    assert!(max_diff(&values(expected_state.cell), &on_gpu[1]) < 1e-4);
    let names = [
        "outputs",
        "cell",
        "input grad",
        "h0 grad",
        "c0 grad",
        "W_hh grad",
        "W_ih grad",
    ];
    for ((name, cpu), gpu) in names.iter().zip(&on_cpu).zip(&on_gpu) {
        assert_close(name, cpu, gpu);
    }
}

/// `gpu` within 1e-4 of `cpu`, relative to `cpu`'s largest value where that is over 1 (sums
/// over many steps, such as weight gradients, are held relative to their size).
fn assert_close(what: &str, cpu: &[f32], gpu: &[f32]) {
    let scale = cpu.iter().fold(1.0f32, |m, x| m.max(x.abs()));
    let diff = max_diff(cpu, gpu);
    assert!(
        diff < 1e-4 * scale,
        "{what}: wgpu and CPU differ by {diff} (largest value {scale})"
    );
}

#[test]
fn the_lstm_kernels_at_the_seeds_shape_equal_burns_lstm_forward_and_backward() {
    // The seed's step: 64 windows of 64 steps, 38 inputs, 128 hidden units.
    layer_matches_the_cpu(64, 64, 38, 128);
}

#[test]
fn the_lstm_kernels_take_a_batch_that_does_not_fill_the_last_workgroup() {
    // 35 sequences: two per workgroup (at least 16 workgroups), the last holding one.
    layer_matches_the_cpu(35, 4, 5, 24);
}

#[test]
fn the_lstm_kernels_share_units_between_threads_when_the_layer_is_wide() {
    // More hidden units than threads in a workgroup (256): threads take several units.
    layer_matches_the_cpu(3, 5, 7, 300);
}

#[test]
fn every_kernel_tuning_gives_the_same_numbers() {
    // The shapes `melodeon bench --gpu --tuning` may time: the sum split or not, weights
    // loaded one or several at a time, few or many sequences per workgroup, few threads each
    // owning several units, the weights' gradient by burn's product or the direct kernel (a
    // hidden size not a multiple of 8 falls back to the product); and the page's shape on a
    // software adapter. Tests running meanwhile use these shapes too, and get the same numbers.
    let shapes = [
        (1, 1, 1, 256, false),
        (64, 2, 8, 256, true),
        (4, 4, 2, 256, false),
        (16, 2, 4, 16, true),
    ];
    let tunings = shapes.map(
        |(min_workgroups, split, unroll, threads, direct_weight_grad)| gpu_kernel::Tuning {
            min_workgroups,
            split,
            unroll,
            threads,
            direct_weight_grad,
        },
    );
    for tuning in tunings.into_iter().chain([gpu_kernel::Tuning::SOFTWARE]) {
        gpu_kernel::tune(tuning);
        layer_matches_the_cpu(9, 6, 5, 48);
        layer_matches_the_cpu(3, 5, 7, 30);
    }
    gpu_kernel::tune(gpu_kernel::Tuning::DEFAULT);
}

const CLOCK: Clock = Clock {
    meter: 1,
    mode: Mode::Major,
    bar_steps: 16,
    pickup: 4,
    bars: 2,
    layout: Layout {
        bars_left: true,
        melodic: true,
        interval: true,
    },
};

/// A song of `len` tokens with its clock inputs.
fn song(len: usize, first: u32) -> SongSeq {
    SongSeq {
        ids: (0..len as u32).map(|i| 1 + (first + i * 3) % 9).collect(),
        inputs: (0..=len)
            .flat_map(|step| CLOCK.inputs(step, &Contour::default()))
            .collect(),
    }
}

/// The masked loss of a padded whole-song batch and the gradients of every parameter, on
/// `device` (weights from `model`, made on the CPU).
fn padded_batch_run(model: &melodeon::model::MelodyModel, device: &Device) -> Vec<Vec<f32>> {
    let set = [song(21, 0), song(9, 4), song(14, 2)];
    let piece = &songs::chunks(&set, &[0, 1, 2], 1, 64)[0];
    let model = conditioned_config()
        .init(device)
        .load_record(model.clone().into_record());
    let (ids, inputs) = batch::chunk_inputs(piece, device);
    let (logits, _) = model.forward(ids, inputs, None);
    let [rows, len, vocab] = logits.dims();
    let picked = burn::tensor::activation::log_softmax(logits.reshape([rows * len, vocab]), 1)
        .gather(
            1,
            batch::ids(&piece.targets, device).reshape([rows * len, 1]),
        )
        .reshape([rows * len]);
    let loss = (picked * batch::floats(&piece.weights, device)).sum().neg();
    let grads = loss.backward();
    let mut out = vec![values(loss.detach())];
    out.push(values(model.embedding.weight.val().grad(&grads).unwrap()));
    for table in &model.inputs {
        out.push(values(table.weight.val().grad(&grads).unwrap()));
    }
    for layer in &model.layers {
        out.push(values(layer.input_weight.val().grad(&grads).unwrap()));
        out.push(values(layer.hidden_weight.val().grad(&grads).unwrap()));
    }
    out.push(values(model.output.weight.val().grad(&grads).unwrap()));
    out
}

#[test]
fn a_padded_whole_song_batch_gives_the_cpus_loss_and_gradients() {
    let cpu = Device::flex();
    cpu.seed(11);
    let model = conditioned_config().init(&cpu);
    let on_cpu = padded_batch_run(&model, &cpu.clone().autodiff());
    let on_gpu = padded_batch_run(&model, &gpu().autodiff());
    for (part, (cpu, gpu)) in on_cpu.iter().zip(&on_gpu).enumerate() {
        assert_close(&format!("part {part}"), cpu, gpu);
    }
}

#[test]
fn the_fused_adam_kernel_follows_burns_adam() {
    for clip in [None, Some(0.5)] {
        let difference = adam::fused_adam_difference(&gpu(), clip);
        assert!(difference < 1e-6, "clip {clip:?}: {difference}");
    }
}

#[test]
fn carried_state_generation_on_wgpu_gives_the_cpu_kernels_logits() {
    let cpu = Device::flex();
    cpu.seed(12);
    let config = conditioned_config();
    let model = config.init(&cpu);
    let weights = model.weights(&config).unwrap();
    let device = gpu();
    let on_gpu = config
        .init(&device)
        .load_record(model.clone().into_record());
    let context = [0u32];
    let inputs: Vec<u32> = CLOCK.inputs(0, &Contour::default()).to_vec();
    let mut kernel = KernelDecoder::new(&weights, &context, &inputs);
    let mut carried = CarriedState::new(&on_gpu, &device, &context, &inputs);
    // Step 0 reads the start; each later step feeds a token and its clock inputs.
    for step in 0..12 {
        let next = CLOCK.inputs(step, &Contour::default());
        let token = (step > 0).then(|| (1 + (step as u32 * 5) % 9, &next[..]));
        let a = pollster::block_on(kernel.next_logits(token)).unwrap();
        let b = pollster::block_on(carried.next_logits(token)).unwrap();
        assert!(
            max_diff(&a, &b) < 1e-4,
            "step {step}: differ by {}",
            max_diff(&a, &b)
        );
    }
}
