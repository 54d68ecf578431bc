//! `melodeon corpus`: ingest files, folders and zips and print the report.

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::corpus::{self, EncodeOptions, archive};
use crate::encoding::grid::{self, GridConfig, Step};

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
    /// Write a new onset for tied continuations, as the seed did.
    #[arg(long)]
    pub seed_ties: bool,
    /// Print the tokens of the song with this id instead of the report.
    #[arg(long, value_name = "ID")]
    pub tokens: Option<String>,
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
    if let Some(id) = &args.tokens {
        let Some(song) = corpus.find(id) else {
            bail!("no accepted song with id '{id}'");
        };
        println!("{}", grid::to_text(&song.tokens));
    } else if args.json {
        println!(
            "{}",
            serde_json::to_string(&corpus.report).context("serialising the report")?
        );
    } else if args.verbose {
        println!("{}", corpus.report);
    } else {
        println!("{}", corpus.report.totals);
    }
    Ok(())
}
