//! `melodeon backend`: which backend runs the model, and the start-up check's numbers.

use clap::Args;

use crate::backend;
use crate::model::check;

/// Options of `melodeon backend`.
#[derive(Args, Debug)]
pub struct BackendArgs {
    /// Also run the start-up check (the page's LSTM forward pass) and print its numbers.
    #[arg(long)]
    check: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `melodeon backend`.
pub fn run(args: &BackendArgs) -> anyhow::Result<()> {
    let (info, device) = backend::native();
    let values = if args.check {
        Some(pollster::block_on(check::startup_check(&device)).map_err(anyhow::Error::msg)?)
    } else {
        None
    };
    if args.json {
        let json = serde_json::json!({ "backend": info, "label": info.label(), "check": values });
        outln!("{json}")?;
    } else {
        outln!("{}", info.label())?;
        if let Some(values) = values {
            outln!("start-up check: {values:?}")?;
        }
    }
    Ok(())
}
