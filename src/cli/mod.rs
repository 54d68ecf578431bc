//! The native command line over the same core as the page.

pub mod backend;
pub mod bench;
pub mod corpus;
pub mod eval;
pub mod generate;
pub mod midi;
pub mod stats;
pub mod train;

use clap::{Parser, Subcommand};

/// Melodeon: learns folk melodies and writes new ones.
#[derive(Parser, Debug)]
#[command(name = "melodeon", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the backend the model would run on.
    Backend(backend::BackendArgs),
    /// Measure training and generation speed on the native CPU backends.
    Bench(bench::BenchArgs),
    /// Read a corpus (files, folders, zips) and print the report.
    Corpus(corpus::CorpusArgs),
    /// Train a model on a corpus and write a model file.
    Train(train::TrainArgs),
    /// Test metrics of a model file on a corpus.
    Eval(eval::EvalArgs),
    /// Write new tunes with a model file.
    Generate(generate::GenerateArgs),
    /// Show what a MIDI file holds.
    Midi(midi::MidiArgs),
    /// Compare tunes written by a model with the held-out songs (MGEval statistics).
    Stats(stats::StatsArgs),
}

/// Parses the command line and runs the chosen command.
pub fn run() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Backend(args) => backend::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Corpus(args) => corpus::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Midi(args) => midi::run(&args),
        Command::Stats(args) => stats::run(&args),
    }
}

/// Reads and encodes a corpus from files, folders and zips, and reports what was rejected
/// on standard error. Fails when no song was accepted.
fn read_corpus(
    paths: &[std::path::PathBuf],
    options: crate::corpus::EncodeOptions,
) -> anyhow::Result<crate::corpus::Corpus> {
    let files = crate::corpus::archive::read_paths(paths, options.max_file_bytes);
    let corpus = crate::corpus::ingest(files, &options);
    let totals = &corpus.report.totals;
    eprintln!(
        "corpus: {} files, {} songs, {} accepted, {} rejected",
        totals.files,
        totals.songs,
        totals.accepted,
        totals.songs - totals.accepted
    );
    if corpus.songs.is_empty() {
        anyhow::bail!("no song in the corpus could be used (see `melodeon corpus --verbose`)");
    }
    Ok(corpus)
}

/// Reads a corpus encoded the way `header`'s model was trained (for `eval` and `stats`).
fn read_corpus_for(
    header: &crate::model::file::ModelHeader,
    paths: &[std::path::PathBuf],
) -> anyhow::Result<crate::corpus::Corpus> {
    read_corpus(
        paths,
        crate::corpus::EncodeOptions {
            grid: header.grid,
            ..Default::default()
        },
    )
}

/// Reads a model file onto the native CPU device.
fn load_model(
    path: &std::path::Path,
) -> anyhow::Result<(
    crate::model::file::ModelHeader,
    crate::model::MelodyModel,
    burn::tensor::Device,
)> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let (_, device) = crate::backend::native();
    let (header, model) = crate::model::file::load(&bytes, &device)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok((header, model, device))
}
