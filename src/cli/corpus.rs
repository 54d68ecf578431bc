//! `melodeon corpus`: ingest files, folders and zips and print the report.

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::corpus::{self, Corpus, EncodeOptions, archive};
use crate::data::{Dataset, SplitConfig};
use crate::encoding::grid::{self, GridConfig, Step};
use crate::recipe::{DEFAULT_SEED, WINDOW_LEN};

/// Arguments of `melodeon corpus`.
#[derive(Debug, Clone, clap::Args)]
pub struct CorpusArgs {
    /// Print one JSON object (totals at the top level, per-file details in `file_reports`).
    #[arg(long)]
    pub json: bool,
    /// Grid step: 1/8, 1/16 or 1/32.
    #[arg(long, default_value = "1/16")]
    pub step: Step,
    /// Keep the original key instead of transposing to C major / A minor.
    #[arg(long)]
    pub keep_key: bool,
    /// Write a new onset for tied continuations, as the tutorial did.
    #[arg(long)]
    pub seed_ties: bool,
    /// Print the tokens of the song with this id instead of the report.
    #[arg(long, value_name = "ID")]
    pub tokens: Option<String>,
    /// Write the windows of the song split (seed `--split-seed`) to this JSON file instead of
    /// the report: the flat id buffer, the vocabulary and each part's window starts, so that
    /// the same data can be cross-checked in another framework.
    #[arg(long, value_name = "FILE")]
    pub windows: Option<PathBuf>,
    /// Seed of the song split written by `--windows` (the same default as `melodeon train`).
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub split_seed: u64,
    /// List every file and song problem, not only the totals.
    #[arg(long)]
    pub verbose: bool,
    /// Files, folders and zip archives.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Runs the command.
pub fn run(args: &CorpusArgs) -> anyhow::Result<()> {
    let opts = EncodeOptions {
        grid: GridConfig {
            step: args.step,
            transpose: !args.keep_key,
            merge_ties: !args.seed_ties,
        },
        ..EncodeOptions::default()
    };
    let files = archive::read_paths(&args.paths, opts.max_file_bytes);
    let corpus = corpus::ingest(files, &opts);
    if let Some(path) = &args.windows {
        write_windows(&corpus, args.split_seed, path)?;
    } else if let Some(id) = &args.tokens {
        let Some(song) = corpus.find(id) else {
            bail!("no accepted song with id '{id}'");
        };
        outln!("{}", grid::to_text(&song.tokens))?;
    } else if args.json {
        outln!(
            "{}",
            serde_json::to_string(&corpus.report).context("serialising the report")?
        )?;
    } else if args.verbose {
        outln!("{}", corpus.report)?;
    } else {
        outln!("{}", corpus.report.totals)?;
    }
    if corpus.songs.is_empty() {
        return Err(super::no_songs(&corpus.report));
    }
    Ok(())
}

/// Writes the song-split windows of `corpus` as JSON (see [`CorpusArgs::windows`]).
fn write_windows(corpus: &Corpus, seed: u64, path: &PathBuf) -> anyhow::Result<()> {
    let split = SplitConfig {
        seed,
        ..SplitConfig::default()
    };
    let data = Dataset::new(
        &corpus.id_sequences(),
        &corpus.openings(),
        WINDOW_LEN,
        &split,
    );
    let starts =
        |part: &[usize]| -> Vec<usize> { part.iter().map(|&i| data.windows.start(i)).collect() };
    let tokens: Vec<String> = corpus
        .vocab
        .tokens()
        .iter()
        .map(ToString::to_string)
        .collect();
    let json = serde_json::json!({
        "sequence_len": WINDOW_LEN,
        "vocab": tokens,
        "ids": data.windows.ids(),
        "train": starts(&data.split.train),
        "valid": starts(&data.split.valid),
        "test": starts(&data.split.test),
    });
    std::fs::write(path, json.to_string()).with_context(|| format!("writing {}", path.display()))
}
