//! `melodeon bench`: training and generation speed on the native CPU backends.
//!
//! Training: the tutorial's step (batch 64, window 64, hidden 128, vocabulary 38, loss on the last
//! token, Adam) through Melodeon's trainer with the LSTM kernel on one thread and on every core,
//! and the same step with burn's own `nn::Lstm` for
//! comparison; a whole-song step (32 songs of up to 512 steps, carried state, loss on every
//! position; `--songs` for another batch). Generation: a 256-token tune with carried state and
//! with the tutorial's re-feeding. With `--gpu` (the `gpu` feature): the training steps on burn's
//! wgpu backend with the LSTM as Melodeon's CubeCL kernels and composed from tensor operations;
//! with `--tuning`, the kernels alone in another shape.
//! Every figure is the median of `--runs` runs.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, Lstm, LstmConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor};
use clap::Args;
use serde::Serialize;
use web_time::Instant;

use crate::backend::CpuBackend;
use crate::bench::{
    BATCH, Method, SONGS, VOCAB, gen_speed, synthetic_windows, train_speed, whole_song_speed,
};
use crate::model::kernel;
use crate::recipe::WINDOW_LEN;

/// Options of `melodeon bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Runs per figure (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Training steps per run.
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// Songs in the whole-song step's batch (the GPU goal is set at 256).
    #[arg(long, default_value_t = SONGS as u16, value_parser = clap::value_parser!(u16).range(1..=4096))]
    songs: u16,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Time burn's wgpu backend on this machine's GPU instead (the page's WebGPU code path).
    #[cfg(feature = "gpu")]
    #[arg(long)]
    gpu: bool,
    /// With `--gpu`: time only the LSTM kernels, in this shape: MIN_WORKGROUPS,SPLIT,UNROLL
    /// and optionally DIRECT (0 or 1) and THREADS (the fields of `gpu_kernel::Tuning`), to
    /// compare shapes on this GPU. The page runs a software adapter (SwiftShader) as
    /// 2,1,4,1,32.
    #[cfg(feature = "gpu")]
    #[arg(long, requires = "gpu", value_parser = parse_tuning)]
    tuning: Option<crate::model::gpu_kernel::Tuning>,
}

/// `MIN_WORKGROUPS,SPLIT,UNROLL[,DIRECT[,THREADS]]`: whole numbers of at least 1 but DIRECT,
/// 0 or 1; the fields left out as in `Tuning::DEFAULT`.
#[cfg(feature = "gpu")]
fn parse_tuning(text: &str) -> Result<crate::model::gpu_kernel::Tuning, String> {
    use crate::model::gpu_kernel::Tuning;
    let numbers: Vec<usize> = text
        .split(',')
        .map(|n| n.trim().parse().map_err(|e| format!("{n:?}: {e}")))
        .collect::<Result<_, _>>()?;
    let usage = "MIN_WORKGROUPS,SPLIT,UNROLL[,DIRECT[,THREADS]]: whole numbers of at least 1, \
                 DIRECT 0 or 1";
    if !(3..=5).contains(&numbers.len()) {
        return Err(usage.into());
    }
    let field = |k: usize, default: usize| numbers.get(k).copied().unwrap_or(default);
    let direct = field(3, usize::from(Tuning::DEFAULT.direct_weight_grad));
    let tuning = Tuning {
        min_workgroups: numbers[0],
        split: numbers[1],
        unroll: numbers[2],
        threads: field(4, Tuning::DEFAULT.threads),
        direct_weight_grad: direct == 1,
    };
    let sizes = [
        tuning.min_workgroups,
        tuning.split,
        tuning.unroll,
        tuning.threads,
    ];
    if sizes.contains(&0) || direct > 1 {
        return Err(usage.into());
    }
    Ok(tuning)
}

/// Figures for one CPU backend: the LSTM kernel on one thread, unless said otherwise.
#[derive(Debug, Serialize)]
struct Figures {
    /// Seed training step through Melodeon's trainer (fused LSTM), windows per second.
    train_windows_per_s: f64,
    /// The same with the kernel splitting the batch over every core.
    train_windows_per_s_all_threads: f64,
    /// The same step with burn's `nn::Lstm`, windows per second.
    stock_lstm_windows_per_s: f64,
    /// Whole-song step (`--songs` songs of up to 512 steps, the tutorial's network), tokens per
    /// second.
    whole_song_tokens_per_s: f64,
    /// The same with the kernel splitting the batch over every core.
    whole_song_tokens_per_s_all_threads: f64,
    /// Generation of a 256-token tune with carried state in the CPU kernel, tokens per second.
    gen_tokens_per_s: f64,
    /// The same with carried state through burn's tensors (the path used on WebGPU).
    burn_carried_tokens_per_s: f64,
    /// The same with the tutorial's re-feeding of the whole prefix, tokens per second.
    refeed_tokens_per_s: f64,
}

/// Runs `melodeon bench`.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let runs = args.runs.max(1);
    #[cfg(feature = "gpu")]
    if args.gpu {
        return gpu(args, runs);
    }
    let mut all = Vec::new();
    for backend in [CpuBackend::Flex, CpuBackend::NdArray] {
        let device = backend.device();
        let train = |threads| {
            kernel::set_threads(threads);
            median(runs, || {
                pollster::block_on(train_speed(&device, args.steps))
            })
        };
        let whole_songs = |threads| {
            kernel::set_threads(threads);
            median(runs, || {
                pollster::block_on(whole_song_speed(
                    &device,
                    args.steps.min(5),
                    args.songs.into(),
                ))
            })
        };
        let figures = Figures {
            train_windows_per_s: train(1)?,
            train_windows_per_s_all_threads: train(0)?,
            stock_lstm_windows_per_s: median(runs, || Ok(stock_speed(&device, args.steps.min(8))))?,
            whole_song_tokens_per_s: whole_songs(1)?,
            whole_song_tokens_per_s_all_threads: whole_songs(0)?,
            gen_tokens_per_s: median(runs, || {
                pollster::block_on(gen_speed(&device, Method::Kernel))
            })?,
            burn_carried_tokens_per_s: median(runs, || {
                pollster::block_on(gen_speed(&device, Method::Burn))
            })?,
            refeed_tokens_per_s: median(runs, || {
                pollster::block_on(gen_speed(&device, Method::Refeed))
            })?,
        };
        if !args.json {
            outln!(
                "{:8} train {:6.0} windows/s ({:6.0} on all cores; burn Lstm {:5.0}), whole songs {:6.0} tokens/s ({:6.0} on all cores) · generate {:7.0} tokens/s (burn carried {:5.0}, re-feeding {:5.0})",
                backend.name(),
                figures.train_windows_per_s,
                figures.train_windows_per_s_all_threads,
                figures.stock_lstm_windows_per_s,
                figures.whole_song_tokens_per_s,
                figures.whole_song_tokens_per_s_all_threads,
                figures.gen_tokens_per_s,
                figures.burn_carried_tokens_per_s,
                figures.refeed_tokens_per_s
            )?;
        }
        all.push((backend, figures));
    }
    if args.json {
        let default = &all[0].1;
        let backends: serde_json::Map<String, serde_json::Value> = all
            .iter()
            .map(|(backend, figures)| (backend.name().to_string(), serde_json::json!(figures)))
            .collect();
        let json = serde_json::json!({
            "backend": CpuBackend::default().name(),
            "runs": runs,
            "songs": args.songs,
            "train_windows_per_s": default.train_windows_per_s,
            "train_windows_per_s_all_threads": default.train_windows_per_s_all_threads,
            "gen_tokens_per_s": default.gen_tokens_per_s,
            "refeed_tokens_per_s": default.refeed_tokens_per_s,
            "backends": backends,
        });
        outln!("{json}")?;
    }
    Ok(())
}

/// The tutorial's training step, the whole-song step and carried-state generation on burn's wgpu
/// backend: the LSTM as Melodeon's CubeCL kernels, and composed from burn's tensor operations.
#[cfg(feature = "gpu")]
fn gpu(args: &BenchArgs, runs: usize) -> anyhow::Result<()> {
    use crate::model::{gpu_kernel, sequence};
    let device = pollster::block_on(Device::wgpu_options().init_async())
        .map_err(|e| anyhow::anyhow!("no GPU through wgpu: {e}"))?;
    let mut rows = serde_json::Map::new();
    let ways: &[(&str, bool)] = match args.tuning {
        Some(tuning) => {
            gpu_kernel::tune(tuning);
            &[("kernel", false)]
        }
        None => &[("kernel", false), ("composed", true)],
    };
    for &(name, composed) in ways {
        sequence::compose_always(composed);
        let train = median(runs, || {
            pollster::block_on(train_speed(&device, args.steps))
        })?;
        let whole_songs = median(runs, || {
            pollster::block_on(whole_song_speed(
                &device,
                args.steps.min(5),
                args.songs.into(),
            ))
        })?;
        if !args.json {
            outln!(
                "wgpu, LSTM {name:8} train {train:6.1} windows/s, whole songs ({} songs) {whole_songs:8.0} tokens/s",
                args.songs
            )?;
        }
        rows.insert(
            name.to_string(),
            serde_json::json!({
                "train_windows_per_s": train, "whole_song_tokens_per_s": whole_songs,
            }),
        );
    }
    sequence::compose_always(false);
    let generate = median(runs, || {
        pollster::block_on(gen_speed(&device, Method::Burn))
    })?;
    if args.json {
        let json = serde_json::json!({
            "backend": "wgpu", "runs": runs, "songs": args.songs,
            "tuning": format!("{:?}", args.tuning.unwrap_or(gpu_kernel::Tuning::DEFAULT)),
            "lstm": rows, "burn_carried_tokens_per_s": generate,
        });
        outln!("{json}")?;
    } else {
        outln!("wgpu generate {generate:7.0} tokens/s (carried state through burn's tensors)")?;
    }
    Ok(())
}

fn median(runs: usize, mut measure: impl FnMut() -> Result<f64, String>) -> anyhow::Result<f64> {
    let mut values = (0..runs)
        .map(|_| measure())
        .collect::<Result<Vec<f64>, String>>()
        .map_err(anyhow::Error::msg)?;
    values.sort_by(f64::total_cmp);
    Ok(values[values.len() / 2])
}

/// burn's own LSTM in the tutorial's network, for comparison.
#[derive(Module, Debug)]
struct StockNetwork {
    embedding: Embedding,
    lstm: Lstm,
    output: Linear,
}

fn stock_speed(device: &Device, steps: usize) -> f64 {
    let device = device.clone().autodiff();
    let mut network = StockNetwork {
        embedding: EmbeddingConfig::new(VOCAB, VOCAB).init(&device),
        lstm: LstmConfig::new(VOCAB, 128, true).init(&device),
        output: LinearConfig::new(128, VOCAB).init(&device),
    };
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let windows = synthetic_windows(steps);
    let mut step = |network: StockNetwork, at: usize| {
        let ids: Vec<i64> = (at..at + BATCH)
            .flat_map(|i| windows.input(i).iter().map(|&id| i64::from(id)))
            .collect();
        let targets: Vec<i64> = (at..at + BATCH)
            .map(|i| i64::from(windows.target(i)))
            .collect();
        let ids = Tensor::<2, Int>::from_data(
            burn::tensor::TensorData::new(ids, [BATCH, WINDOW_LEN]),
            &device,
        );
        let targets =
            Tensor::<1, Int>::from_data(burn::tensor::TensorData::new(targets, [BATCH]), &device);
        let (hidden, _) = network.lstm.forward(network.embedding.forward(ids), None);
        let last = hidden.narrow(1, WINDOW_LEN - 1, 1).reshape([BATCH, 128]);
        let loss = loss_fn.forward(network.output.forward(last), targets);
        let grads = GradientsParams::from_grads(loss.backward(), &network);
        optim.step(1e-3, network, grads)
    };
    network = step(network, 0);
    let started = Instant::now();
    for s in 0..steps {
        network = step(network, s * BATCH);
    }
    (steps * BATCH) as f64 / started.elapsed().as_secs_f64()
}
