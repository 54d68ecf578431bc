//! `melodeon eval`: test metrics of a model file on a corpus.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};

use super::{load_model, read_corpus};
use crate::corpus::EncodeOptions;
use crate::data::{Dataset, SEQUENCE_LEN, SplitConfig, SplitMode};
use crate::encoding::grid::Token;
use crate::train::evaluate;

/// Which windows to evaluate.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EvalSplit {
    /// The test songs of a split by song (with the model's split seed).
    Songs,
    /// The test windows of a split by window (the seed's way).
    Windows,
    /// Every window of the corpus (for a collection the model never saw).
    All,
}

/// Options of `melodeon eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The model file.
    #[arg(long)]
    model: PathBuf,
    /// Corpus files, folders and zips.
    #[arg(long, required = true, num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// Which windows (default: the split the model was trained with).
    #[arg(long, value_enum)]
    split: Option<EvalSplit>,
    /// Print one JSON object with `nll`, `onset_nll`, `accuracy`, `windows`.
    #[arg(long)]
    json: bool,
}

/// Runs `melodeon eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let (header, model, device) = load_model(&args.model)?;
    let corpus = read_corpus(
        &args.corpus,
        EncodeOptions {
            grid: header.grid,
            ..EncodeOptions::default()
        },
    )?;
    let mut skipped = 0;
    let songs: Vec<Vec<u32>> = corpus
        .songs
        .iter()
        .filter_map(|song| {
            header
                .vocab
                .encode(&song.tokens)
                .inspect_err(|_| skipped += 1)
                .ok()
        })
        .collect();
    if skipped > 0 {
        eprintln!("{skipped} songs skipped: they use tokens outside the model's vocabulary");
    }
    if songs.is_empty() {
        bail!("no song of the corpus fits the model's vocabulary");
    }
    let trained = header.training.split;
    let split = match args.split {
        None => trained,
        Some(EvalSplit::Songs | EvalSplit::All) => SplitConfig {
            mode: SplitMode::BySong,
            ..trained
        },
        Some(EvalSplit::Windows) => SplitConfig {
            mode: SplitMode::ByWindow,
            ..trained
        },
    };
    let dataset = Dataset::new(&songs, SEQUENCE_LEN, &split);
    let windows = match args.split {
        Some(EvalSplit::All) => dataset.all_windows(),
        _ => dataset.split.test.clone(),
    };
    let hold = header.vocab.id(Token::Hold).unwrap_or(u32::MAX);
    let metrics = pollster::block_on(evaluate(
        &model,
        &dataset.windows,
        &windows,
        hold,
        256,
        &device,
    ))
    .map_err(anyhow::Error::msg)?;
    if args.json {
        println!("{}", serde_json::to_string(&metrics)?);
    } else {
        println!(
            "NLL {:.4} nats/token · onset NLL {:.4} nats ({:.3} bits) · accuracy {:.3} · {} windows",
            metrics.nll,
            metrics.onset_nll,
            metrics.onset_bits(),
            metrics.accuracy,
            metrics.windows
        );
    }
    Ok(())
}
