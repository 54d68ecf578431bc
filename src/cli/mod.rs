//! The native command line over the same core as the page.

pub mod backend;
pub mod corpus;

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
    /// Read a corpus (files, folders, zips) and print the report.
    Corpus(corpus::CorpusArgs),
}

/// Parses the command line and runs the chosen command.
pub fn run() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Backend(args) => backend::run(&args),
        Command::Corpus(args) => corpus::run(&args),
    }
}
