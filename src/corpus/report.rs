//! The ingestion report: what the CLI prints and the upload screen shows.
//! Every item is `serde::Serialize`; `Display` gives the text form.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A message tied to a place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Human-readable text.
    pub message: String,
}

impl Diagnostic {
    /// A message without a location.
    pub fn new(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A message at a line.
    pub fn at(line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// Why a song (or a whole file) was refused: a short class used for the
/// totals, and the detail shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Short class such as "duration off the grid" or "MEL field missing".
    pub reason: String,
    /// The full explanation, with location where useful.
    pub detail: Diagnostic,
}

impl Rejection {
    /// A rejection of class `reason` explained by `detail`.
    pub fn new(reason: impl Into<String>, detail: Diagnostic) -> Rejection {
        Rejection {
            reason: reason.into(),
            detail,
        }
    }

    /// The class and the detail on one line ("class: detail"; the class alone when the
    /// detail says no more).
    pub fn one_line(&self) -> String {
        let detail = self.detail.to_string();
        if detail == self.reason || detail.is_empty() {
            self.reason.clone()
        } else {
            format!("{}: {detail}", self.reason)
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.detail)
    }
}

/// Outcome for one song.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum SongStatus {
    /// Accepted, with its token count (terminator excluded).
    Accepted {
        /// Number of grid tokens.
        tokens: usize,
    },
    /// Rejected, with the reason.
    Rejected(Rejection),
}

/// One song's line in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SongReport {
    /// Song id.
    pub id: String,
    /// Title, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Record index within a multi-record file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<usize>,
    /// Key, like "F major", when the song could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Accepted or rejected.
    #[serde(flatten)]
    pub status: SongStatus,
    /// Things that were repaired or ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
}

/// One file's line in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReport {
    /// File name (archive members as `archive.zip/path`).
    pub name: String,
    /// Detected format ("kern", "esac"), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Set when the file as a whole could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Rejection>,
    /// File-level warnings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Diagnostic>,
    /// The songs found in the file.
    pub songs: Vec<SongReport>,
}

impl FileReport {
    /// A file that could not be read at all.
    pub fn failed(name: impl Into<String>, error: Rejection) -> FileReport {
        FileReport {
            name: name.into(),
            format: None,
            error: Some(error),
            warnings: Vec::new(),
            songs: Vec::new(),
        }
    }
}

/// Corpus-wide counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Files looked at (archive members counted individually, archives not).
    pub files: usize,
    /// Files that could not be read at all, by reason.
    pub files_failed: BTreeMap<String, usize>,
    /// Songs found.
    pub songs: usize,
    /// Songs accepted.
    pub accepted: usize,
    /// Songs rejected, by reason.
    pub rejected: BTreeMap<String, usize>,
    /// Grid tokens of the accepted songs (terminators excluded).
    pub tokens: usize,
    /// Training windows at stride 1 (one per token plus one per song).
    pub windows: usize,
    /// Tied continuations merged into held notes (tokens that differ from
    /// the tutorial, which wrote a new onset for them).
    pub tie_merges: usize,
    /// Songs per original key, like "G major".
    pub keys: BTreeMap<String, usize>,
    /// Songs per meter (a song with meter changes counts for each meter).
    pub meters: BTreeMap<String, usize>,
    /// The vocabulary, in id order.
    pub vocab: Vec<String>,
}

/// The whole report: totals (flattened at the top level) and per-file lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpusReport {
    /// Corpus-wide counts.
    #[serde(flatten)]
    pub totals: Totals,
    /// Per-file details.
    pub file_reports: Vec<FileReport>,
}

impl CorpusReport {
    /// The first problem in file order, as one line naming the file (and the song):
    /// what to tell a user whose corpus gave no usable song.
    pub fn first_problem(&self) -> Option<String> {
        self.file_reports.iter().find_map(|file| {
            if let Some(error) = &file.error {
                return Some(format!("{}: {}", file.name, error.one_line()));
            }
            file.songs.iter().find_map(|song| match &song.status {
                SongStatus::Rejected(why) => Some(format!(
                    "{}, song {}: {}",
                    file.name,
                    song.id,
                    why.one_line()
                )),
                SongStatus::Accepted { .. } => None,
            })
        })
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed: usize = self.files_failed.values().sum();
        writeln!(f, "files:    {} ({failed} unreadable)", self.files)?;
        for (reason, n) in &self.files_failed {
            writeln!(f, "  {n:>6}  {reason}")?;
        }
        writeln!(f, "songs:    {}", self.songs)?;
        writeln!(f, "accepted: {}", self.accepted)?;
        writeln!(f, "rejected: {}", self.rejected.values().sum::<usize>())?;
        for (reason, n) in &self.rejected {
            writeln!(f, "  {n:>6}  {reason}")?;
        }
        writeln!(f, "tokens:   {}", self.tokens)?;
        writeln!(f, "windows:  {}", self.windows)?;
        writeln!(f, "tie merges: {}", self.tie_merges)?;
        writeln!(f, "vocab ({}): {}", self.vocab.len(), self.vocab.join(" "))?;
        let list = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, n)| format!("{k} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(f, "keys:     {}", list(&self.keys))?;
        write!(f, "meters:   {}", list(&self.meters))
    }
}

impl fmt::Display for CorpusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.file_reports {
            if let Some(e) = &file.error {
                writeln!(f, "{}: {e}", file.name)?;
            }
            for w in &file.warnings {
                writeln!(f, "{}: warning: {w}", file.name)?;
            }
            for song in &file.songs {
                for w in &song.warnings {
                    writeln!(f, "{} [{}]: warning: {w}", file.name, song.id)?;
                }
                if let SongStatus::Rejected(r) = &song.status {
                    writeln!(f, "{} [{}]: rejected: {r}", file.name, song.id)?;
                }
            }
        }
        write!(f, "{}", self.totals)
    }
}
