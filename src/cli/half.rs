//! `melodeon half`: a model file with its weights stored in half precision (f16), as the
//! page's shipped model is: half the download, computed with as f32 all the same.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::model_file;

/// Options of `melodeon half`.
#[derive(Args, Debug)]
pub struct HalfArgs {
    /// The model file to read.
    model: PathBuf,
    /// Where to write the half-precision file.
    #[arg(long)]
    out: PathBuf,
}

/// Writes the half-precision file and says how much smaller it is.
pub fn run(args: &HalfArgs) -> anyhow::Result<()> {
    let bytes = super::read_file(&args.model)?;
    let half = model_file::halved(&bytes).with_context(|| args.model.display().to_string())?;
    std::fs::write(&args.out, &half).with_context(|| format!("writing {}", args.out.display()))?;
    outln!(
        "{}: {} bytes, was {} ({})",
        args.out.display(),
        half.len(),
        bytes.len(),
        args.model.display()
    )?;
    Ok(())
}
