//! Bytes → text for the line-based corpus formats.
//!
//! Files are UTF-8 when they are valid UTF-8 and otherwise read as latin-1, so
//! CP437 or latin-1 bytes in comments never lose a song. Stray control bytes are
//! located here; each parser decides what they mean.

/// A control byte (other than tab, CR, LF) found in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrayControl {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The byte value.
    pub byte: u8,
}

/// Decodes bytes as UTF-8, falling back to latin-1, and drops a leading BOM.
/// The flag tells whether the fallback was used.
pub fn decode(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.strip_prefix('\u{feff}').unwrap_or(s).to_owned(), false),
        Err(_) => (bytes.iter().map(|&b| char::from(b)).collect(), true),
    }
}

/// Splits text into lines on LF, CRLF or a lone CR.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    text.split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
}

/// True for characters that are control bytes other than tab, CR and LF.
pub fn is_stray_control(c: char) -> bool {
    c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Finds stray control characters in one line.
pub fn stray_controls(line_no: usize, line: &str) -> Vec<StrayControl> {
    line.chars()
        .enumerate()
        .filter(|(_, c)| is_stray_control(*c))
        .map(|(i, c)| StrayControl {
            line: line_no,
            column: i + 1,
            byte: c as u8,
        })
        .collect()
}

impl std::fmt::Display for StrayControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: stray control byte 0x{:02x}",
            self.line, self.column, self.byte
        )
    }
}
