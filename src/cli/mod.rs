//! The native command line over the same core as the page.

/// `println!` that hands back the write error instead of panicking, so that a closed pipe
/// (`melodeon corpus … | head`) ends the command quietly: see [`main`].
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

pub mod backend;
pub mod bench;
pub mod calibrate;
pub mod corpus;
pub mod eval;
pub mod generate;
pub mod half;
pub mod midi;
pub mod stats;
pub mod train;
pub mod writing;

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
    /// Fit a model's calibrations of writing (where tunes end, how often they take up a new
    /// pitch, which bars repeat a phrase back) on its training and validation songs and write
    /// them into the file.
    Calibrate(calibrate::CalibrateArgs),
    /// Train a model on a corpus and write a model file.
    Train(Box<train::TrainArgs>),
    /// Test metrics of a model file on a corpus.
    Eval(eval::EvalArgs),
    /// Write new tunes with a model file.
    Generate(generate::GenerateArgs),
    /// Store a model file's weights in half precision (f16): half the download.
    Half(half::HalfArgs),
    /// Show what a MIDI file holds.
    Midi(midi::MidiArgs),
    /// Compare tunes written by a model with the held-out songs (MGEval statistics).
    Stats(stats::StatsArgs),
}

/// Runs the command line and turns its outcome into the exit code: success, also when the
/// reader of standard output went away (a closed pipe); otherwise one line on standard error
/// naming what failed (each error's context names the file) and a failure code. Usage errors
/// are clap's own (code 2).
pub fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) if closed_pipe(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            let line = format!("{err:#}").replace('\n', " ");
            eprintln!("melodeon: error: {line}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Whether `err` is, at any depth, a write to a pipe whose reader has closed.
fn closed_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Parses the command line and runs the chosen command.
pub fn run() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Backend(args) => backend::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Corpus(args) => corpus::run(&args),
        Command::Calibrate(args) => calibrate::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Half(args) => half::run(&args),
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
        return Err(no_songs(&corpus.report));
    }
    Ok(corpus)
}

/// The error for a corpus without one usable song, naming its first problem.
fn no_songs(report: &crate::corpus::report::CorpusReport) -> anyhow::Error {
    match report.first_problem() {
        Some(problem) => anyhow::anyhow!(
            "no song in the corpus could be used; the first problem: {problem} (see `melodeon corpus --verbose`)"
        ),
        None => anyhow::anyhow!("no song in the corpus could be used: it holds no file"),
    }
}

/// Reads a corpus encoded the way `header`'s model was trained (for `eval` and `stats`).
fn read_corpus_for(
    header: &crate::model_file::ModelHeader,
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

/// The songs of `corpus` as `header`'s model reads them (ids and conditioning inputs), with
/// their openings for the split; songs with tokens outside its vocabulary are skipped (and
/// counted on stderr). Fails when none is left.
fn song_set(
    header: &crate::model_file::ModelHeader,
    corpus: &crate::corpus::Corpus,
) -> anyhow::Result<(Vec<crate::data::SongSeq>, Vec<u64>)> {
    let conditioning = header.config.conditioning.as_ref();
    let mut skipped = 0;
    let mut set = Vec::new();
    let mut openings = Vec::new();
    for song in &corpus.songs {
        let Ok(ids) = header.vocab.encode(&song.tokens) else {
            skipped += 1;
            continue;
        };
        openings.push(crate::corpus::opening(&song.tokens));
        set.push(crate::data::SongSeq {
            inputs: conditioning.map_or_else(Vec::new, |c| {
                c.song_inputs(&song.song, header.grid.step, &song.tokens)
            }),
            ids,
        });
    }
    if skipped > 0 {
        eprintln!("{skipped} songs skipped: they use tokens outside the model's vocabulary");
    }
    if set.is_empty() {
        anyhow::bail!("no song of the corpus fits the model's vocabulary");
    }
    Ok((set, openings))
}

/// Reads one or more model files that act as an ensemble (their probabilities averaged): the
/// first file's header, every model, and the device. Fails, naming the file, where a member's
/// vocabulary, encoding, conditioning or context differs from the first's.
fn load_ensemble(
    paths: &[std::path::PathBuf],
) -> anyhow::Result<(
    crate::model_file::ModelHeader,
    Vec<crate::model::MelodyModel>,
    burn::tensor::Device,
)> {
    let (first, rest) = paths
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("no model file given"))?;
    let (header, model, device) = load_model(first)?;
    let mut models = vec![model];
    for path in rest {
        let (other, model, _) = load_model(path)?;
        if other.vocab != header.vocab
            || other.grid != header.grid
            || other.config.conditioning != header.config.conditioning
            || other.context() != header.context()
        {
            anyhow::bail!(
                "{} cannot join the ensemble: its vocabulary, encoding, conditioning or context differs from {}",
                path.display(),
                first.display()
            );
        }
        models.push(model);
    }
    Ok((header, models, device))
}

/// Reads a model file onto the native CPU device.
fn load_model(
    path: &std::path::Path,
) -> anyhow::Result<(
    crate::model_file::ModelHeader,
    crate::model::MelodyModel,
    burn::tensor::Device,
)> {
    let bytes = read_file(path)?;
    let (_, device) = crate::backend::native();
    let (header, model) = crate::model_file::load(&bytes, &device)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok((header, model, device))
}

/// The bytes of the file at `path`, or an error naming it.
fn read_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))
}
