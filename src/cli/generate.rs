//! `melodeon generate`: write new tunes with a model file.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::load_model;
use crate::encoding::grid;
use crate::encoding::primer;
use crate::export::Format;
use crate::generate::{GenerateConfig, OnDevice, SamplerConfig, write_tune};
use crate::recipe::DEFAULT_MAX_LEN;
use crate::song::{Key, Meter, Mode};

/// Options of `melodeon generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The model file.
    #[arg(long)]
    model: PathBuf,
    /// Seed of the first tune (the next ones count up from it).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Softmax temperature (0.1–2.0).
    #[arg(long, default_value_t = 1.0)]
    temperature: f32,
    /// Sample only among the k most likely tokens.
    #[arg(long)]
    top_k: Option<usize>,
    /// Opening notes: note names with durations (`G4 8 A4 8`) or raw tokens (`67 _ 69 _`).
    #[arg(long, default_value = "")]
    primer: String,
    /// Number of tunes.
    #[arg(long, default_value_t = 1)]
    count: u64,
    /// Maximum tokens per tune (1/16 notes), primer included.
    #[arg(long, default_value_t = DEFAULT_MAX_LEN)]
    max_len: usize,
    /// Meter to write in (a conditioned model follows it; default: drawn from the training
    /// songs' meters, or 4/4 for MIDI files of an unconditioned model).
    #[arg(long, value_parser = parse_meter)]
    meter: Option<Meter>,
    /// Mode to write in, `major` or `minor` (a conditioned model follows it; default: drawn
    /// from the training songs).
    #[arg(long, value_parser = parse_mode)]
    mode: Option<Mode>,
    /// Tempo of written files, in quarter notes per minute.
    #[arg(long, default_value_t = 100.0)]
    tempo: f64,
    /// Also write each tune into this folder, as `melodeon-seed-N.mid` (and so on).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Formats written by `--out` (repeat or separate with commas).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "midi")]
    format: Vec<Format>,
    /// Print one JSON object per tune.
    #[arg(long)]
    json: bool,
}

fn parse_meter(text: &str) -> Result<Meter, String> {
    Meter::parse(text).ok_or_else(|| format!("`{text}` is not a meter like 3/4"))
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    match text {
        "major" => Ok(Mode::Major),
        "minor" => Ok(Mode::Minor),
        _ => Err(format!("`{text}` is not a mode: major or minor")),
    }
}

/// Runs `melodeon generate`.
pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let (header, model, device) = load_model(&args.model)?;
    let network = OnDevice::new(&model, &header.config, &device).map_err(anyhow::Error::msg)?;
    let primer_tokens = primer::parse(&args.primer, header.grid.step, 0).context("the primer")?;
    let primer_ids = header.vocab.encode(&primer_tokens).context("the primer")?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    for seed in args.seed..args.seed + args.count {
        let config = GenerateConfig {
            sampler: SamplerConfig {
                temperature: args.temperature.clamp(0.1, 2.0),
                top_k: args.top_k,
                seed,
            },
            max_len: args.max_len,
            meter: args.meter,
            mode: args.mode,
        };
        let tune = pollster::block_on(write_tune(&network, &header, &primer_ids, &config))
            .map_err(anyhow::Error::msg)?;
        let meter = tune.meter.or(args.meter).unwrap_or(Meter {
            numerator: 4,
            denominator: 4,
        });
        if let Some(dir) = &args.out {
            let key = match tune.mode {
                Some(Mode::Minor) => Key::new('A', 0, Mode::Minor).unwrap_or(Key::C_MAJOR),
                _ => Key::C_MAJOR,
            };
            let song = grid::to_song(
                &tune.tokens,
                header.grid.step,
                -header.grid.shift(&key),
                &format!("seed-{seed}"),
                key,
                vec![meter],
                tune.pickup,
            )?;
            let title = format!("Melodeon tune, seed {seed}");
            for format in &args.format {
                let path = dir.join(format!("melodeon-seed-{seed}.{}", format.extension()));
                std::fs::write(&path, format.write(&song, &title, args.tempo))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        if args.json {
            let text: Vec<String> = tune.tokens.iter().map(ToString::to_string).collect();
            outln!(
                "{}",
                serde_json::json!({
                    "seed": seed, "tokens": text, "meter": meter.to_string(),
                    "mode": tune.mode, "pickup": tune.pickup,
                })
            )?;
        } else {
            outln!("{}", grid::to_text(&tune.tokens))?;
        }
    }
    Ok(())
}
