//! `melodeon generate`: write new tunes with a model file.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::load_model;
use super::writing::WritingArgs;
use crate::encoding::grid;
use crate::encoding::primer;
use crate::export::Format;
use crate::generate::{OnDevice, write_tune};
use crate::settings::{METER, TEMPO, TUNES};
use crate::song::{Key, Mode};

/// Options of `melodeon generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The model file.
    #[arg(long)]
    model: PathBuf,
    /// How to write them.
    #[command(flatten)]
    writing: WritingArgs,
    /// Opening notes: note names with durations (`G4 8 A4 8`) or raw tokens (`67 _ 69 _`).
    #[arg(long, default_value = "")]
    primer: String,
    /// Number of tunes.
    #[arg(long, default_value_t = TUNES.default)]
    count: u64,
    /// Tempo of written files, in quarter notes per minute.
    #[arg(long, default_value_t = TEMPO.default)]
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

/// Runs `melodeon generate`.
pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let (header, model, device) = load_model(&args.model)?;
    let network = OnDevice::new(&model, &header.config, &device).map_err(anyhow::Error::msg)?;
    let primer_tokens = primer::parse(&args.primer, header.grid.step, 0).context("the primer")?;
    let primer_ids = header.vocab.encode(&primer_tokens).context("the primer")?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let first = args.writing.seed;
    for seed in first..first + args.count {
        let config = args.writing.config(seed);
        let tune = pollster::block_on(write_tune(&network, header.writing(), &primer_ids, &config))
            .map_err(anyhow::Error::msg)?;
        let meter = tune.meter.or(args.writing.meter).unwrap_or(METER);
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
