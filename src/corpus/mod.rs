//! Bytes → songs → tokens, with a report of everything accepted, repaired or
//! refused.
//!
//! The input is a list of named byte buffers, so the same code serves the
//! command line, folders, zip archives and files dropped on the page:
//! [`ingest`] expands archives, detects each file's format from its content,
//! parses every song, encodes it on the grid and builds the vocabulary. Bad
//! input never panics and never costs the other songs of the same file.

pub mod archive;
pub mod detect;
pub mod esac;
pub mod kern;
pub mod report;
pub mod text;
mod variants;

use std::collections::BTreeMap;

use crate::encoding::grid::{self, GridConfig, Token};
use crate::encoding::vocab::Vocab;
use crate::song::Song;
use detect::{Format, NotMusic};
use report::{CorpusReport, Diagnostic, FileReport, Rejection, SongReport, SongStatus, Totals};
pub use variants::opening;

/// Files larger than this (64 MiB) are refused without being parsed.
pub const DEFAULT_MAX_FILE_BYTES: usize = 64 << 20;

/// A named file as given by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Name shown in the report (a path, or `archive.zip/member`).
    pub name: String,
    /// Its content, or why it could not be read.
    pub data: FileData,
}

/// The content of an [`InputFile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileData {
    /// The bytes.
    Bytes(Vec<u8>),
    /// The file could not be read (or was refused before reading).
    Unreadable(Rejection),
}

impl InputFile {
    /// A file with its bytes.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> InputFile {
        InputFile {
            name: name.into(),
            data: FileData::Bytes(bytes),
        }
    }
}

/// One song as a parser produced it: read, or refused with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSong {
    /// Song id (from the file, or derived from the file name).
    pub id: String,
    /// Title, if known.
    pub title: Option<String>,
    /// Record index in a multi-record file.
    pub record: Option<usize>,
    /// The song, or why it could not be read.
    pub result: Result<Song, Rejection>,
    /// Repairs and oddities.
    pub warnings: Vec<Diagnostic>,
}

/// Everything a parser found in one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedFile {
    /// The songs, in file order.
    pub songs: Vec<ParsedSong>,
    /// Warnings not tied to a song.
    pub warnings: Vec<Diagnostic>,
}

/// Options for [`ingest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Grid encoding.
    pub grid: GridConfig,
    /// Size guard for a single file (and archive member).
    pub max_file_bytes: usize,
}

impl Default for EncodeOptions {
    fn default() -> EncodeOptions {
        EncodeOptions {
            grid: GridConfig::default(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// An accepted song with its encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSong {
    /// The parsed song (original key and pitches).
    pub song: Song,
    /// Grid tokens, without terminator.
    pub tokens: Vec<Token>,
    /// The tokens' vocabulary ids.
    pub ids: Vec<u32>,
    /// Tokens that differ from the tutorial's encoding because a tie was merged.
    pub tie_merges: usize,
}

/// The result of ingesting files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corpus {
    /// Accepted songs in input order.
    pub songs: Vec<EncodedSong>,
    /// Vocabulary built from the accepted songs.
    pub vocab: Vocab,
    /// What happened to every file and song.
    pub report: CorpusReport,
}

impl Corpus {
    /// The first accepted song with this id.
    pub fn find(&self, id: &str) -> Option<&EncodedSong> {
        self.songs.iter().find(|s| s.song.id == id)
    }

    /// Each accepted song's opening key (for the grouped split, [`opening`]).
    pub fn openings(&self) -> Vec<u64> {
        self.songs.iter().map(|s| opening(&s.tokens)).collect()
    }

    /// The id sequences of all accepted songs (for [`crate::data::Windows`]).
    pub fn id_sequences(&self) -> Vec<&[u32]> {
        self.songs.iter().map(|s| s.ids.as_slice()).collect()
    }
}

/// The file name without folders and extension (for ids of songs without one).
pub(crate) fn stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.rsplit_once('.')
        .map_or(base, |(s, _)| if s.is_empty() { base } else { s })
}

/// Detects the format of one (non-archive) file and parses it.
pub fn parse_file(name: &str, bytes: &[u8]) -> Result<(Format, ParsedFile), Rejection> {
    let refuse =
        |why: NotMusic, detail: String| Err(Rejection::new(why.reason(), Diagnostic::new(detail)));
    let format = match detect::detect(bytes) {
        Ok(f) => f,
        Err(NotMusic::Unknown) => {
            return refuse(
                NotMusic::Unknown,
                "neither **kern (no '**kern' spine header) nor EsAC (no KEY[ or MEL[ field)".into(),
            );
        }
        Err(why) => return refuse(why, why.reason().to_owned()),
    };
    let (text, latin1) = text::decode(bytes);
    let mut parsed = match format {
        Format::Kern => kern::parse(name, &text),
        Format::Esac => esac::parse(name, &text),
        Format::Zip => {
            return Err(Rejection::new(
                "nested archive",
                Diagnostic::new("archive nested too deeply"),
            ));
        }
    };
    if latin1 {
        parsed
            .warnings
            .insert(0, Diagnostic::new("not valid UTF-8; read as latin-1"));
    }
    Ok((format, parsed))
}

/// Reads, parses and encodes `files`, builds the vocabulary and the report.
pub fn ingest(files: Vec<InputFile>, opts: &EncodeOptions) -> Corpus {
    ingest_with_progress(files, opts, |_, _| {})
}

/// [`ingest`], calling `progress(files done, files in all)` after each file (archive members
/// count as files).
pub fn ingest_with_progress(
    files: Vec<InputFile>,
    opts: &EncodeOptions,
    mut progress: impl FnMut(usize, usize),
) -> Corpus {
    let mut accepted: Vec<(Song, grid::Encoded)> = Vec::new();
    let mut report = CorpusReport::default();
    let files = expand(files, opts.max_file_bytes);
    let total = files.len();
    for (done, file) in files.into_iter().enumerate() {
        report
            .file_reports
            .push(ingest_file(file, opts, &mut accepted));
        progress(done + 1, total);
    }
    let vocab = Vocab::from_sequences(accepted.iter().map(|(_, e)| e.tokens.as_slice()));
    let songs: Vec<EncodedSong> = accepted
        .into_iter()
        .map(|(song, enc)| {
            // Every token of an accepted song is in the vocabulary built from them.
            let ids = vocab.encode(&enc.tokens).unwrap_or_default();
            EncodedSong {
                song,
                tokens: enc.tokens,
                ids,
                tie_merges: enc.tie_merges,
            }
        })
        .collect();
    report.totals = totals(&report.file_reports, &songs, &vocab);
    Corpus {
        songs,
        vocab,
        report,
    }
}

/// Replaces zip archives by their members.
fn expand(files: Vec<InputFile>, max_bytes: usize) -> Vec<InputFile> {
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        match &file.data {
            FileData::Bytes(b) if detect::detect(b) == Ok(Format::Zip) && b.len() <= max_bytes => {
                out.extend(archive::expand_zip(&file.name, b, max_bytes));
            }
            _ => out.push(file),
        }
    }
    out
}

fn ingest_file(
    file: InputFile,
    opts: &EncodeOptions,
    accepted: &mut Vec<(Song, grid::Encoded)>,
) -> FileReport {
    let bytes = match file.data {
        FileData::Unreadable(why) => return FileReport::failed(file.name, why),
        FileData::Bytes(b) => b,
    };
    if bytes.len() > opts.max_file_bytes {
        let msg = format!(
            "{} bytes is over the {}-byte limit; not read",
            bytes.len(),
            opts.max_file_bytes
        );
        return FileReport::failed(
            file.name,
            Rejection::new("file too large", Diagnostic::new(msg)),
        );
    }
    let (format, parsed) = match parse_file(&file.name, &bytes) {
        Ok(p) => p,
        Err(why) => return FileReport::failed(file.name, why),
    };
    let mut songs = Vec::with_capacity(parsed.songs.len());
    for p in parsed.songs {
        let key = p.result.as_ref().ok().map(|s| s.key.to_string());
        let status = match p.result.and_then(|song| encode(song, &opts.grid)) {
            Ok((song, enc)) => {
                let tokens = enc.tokens.len();
                accepted.push((song, enc));
                SongStatus::Accepted { tokens }
            }
            Err(r) => SongStatus::Rejected(r),
        };
        songs.push(SongReport {
            id: p.id,
            title: p.title,
            record: p.record,
            key,
            status,
            warnings: p.warnings,
        });
    }
    FileReport {
        name: file.name,
        format: Some(format.name().to_owned()),
        error: None,
        warnings: parsed.warnings,
        songs,
    }
}

fn encode(song: Song, cfg: &GridConfig) -> Result<(Song, grid::Encoded), Rejection> {
    match grid::encode(&song, cfg) {
        Ok(enc) => Ok((song, enc)),
        Err(e) => Err(Rejection::new(e.reason(), Diagnostic::new(e.to_string()))),
    }
}

fn totals(files: &[FileReport], songs: &[EncodedSong], vocab: &Vocab) -> Totals {
    let mut t = Totals {
        files: files.len(),
        vocab: vocab.symbols(),
        ..Totals::default()
    };
    let bump = |m: &mut BTreeMap<String, usize>, k: String| *m.entry(k).or_default() += 1;
    for f in files {
        if let Some(e) = &f.error {
            bump(&mut t.files_failed, e.reason.clone());
        }
        for s in &f.songs {
            t.songs += 1;
            match &s.status {
                SongStatus::Accepted { .. } => t.accepted += 1,
                SongStatus::Rejected(r) => bump(&mut t.rejected, r.reason.clone()),
            }
        }
    }
    for s in songs {
        t.tokens += s.tokens.len();
        t.windows += s.tokens.len() + 1;
        t.tie_merges += s.tie_merges;
        bump(&mut t.keys, s.song.key.to_string());
        for m in &s.song.meters {
            bump(&mut t.meters, m.to_string());
        }
    }
    t
}
