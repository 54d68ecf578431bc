//! Turning what the user gave (paths, zip archives) into a flat list of
//! named files. Zip members keep their path inside the archive; `__MACOSX`
//! folders and hidden files (a path part starting with `.`) are skipped.

use std::io::Read;

use super::report::{Diagnostic, Rejection};
use super::{FileData, InputFile};

/// Archives inside archives are opened this many levels deep.
const MAX_DEPTH: usize = 2;

/// True for `__MACOSX/…` and hidden files or folders.
pub fn is_skipped(path: &str) -> bool {
    path.split(['/', '\\'])
        .any(|part| part == "__MACOSX" || (part.starts_with('.') && part != "." && part != ".."))
}

fn too_large(name: &str, size: u64, max_bytes: usize) -> InputFile {
    let msg = format!("{size} bytes is over the {max_bytes}-byte limit; not read");
    InputFile {
        name: name.to_owned(),
        data: FileData::Unreadable(Rejection::new("file too large", Diagnostic::new(msg))),
    }
}

/// Expands the zip archive `bytes` called `name` into its members (nested
/// archives included up to a fixed depth). Members over `max_bytes` are not
/// decompressed; a damaged archive or member becomes an unreadable entry.
pub fn expand_zip(name: &str, bytes: &[u8], max_bytes: usize) -> Vec<InputFile> {
    expand_at(name, bytes, max_bytes, 0)
}

fn expand_at(name: &str, bytes: &[u8], max_bytes: usize, depth: usize) -> Vec<InputFile> {
    let broken = |why: String| InputFile {
        name: name.to_owned(),
        data: FileData::Unreadable(Rejection::new("damaged archive", Diagnostic::new(why))),
    };
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => return vec![broken(format!("cannot open zip archive: {e}"))],
    };
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                out.push(broken(format!("member {i}: {e}")));
                continue;
            }
        };
        let inner = entry.name().to_owned();
        if entry.is_dir() || is_skipped(&inner) {
            continue;
        }
        let member = format!("{name}/{inner}");
        if entry.size() > max_bytes as u64 {
            out.push(too_large(&member, entry.size(), max_bytes));
            continue;
        }
        let mut data = Vec::new();
        // Read at most one byte past the limit in case the declared size lies.
        match (&mut entry)
            .take(max_bytes as u64 + 1)
            .read_to_end(&mut data)
        {
            Ok(n) if n > max_bytes => out.push(too_large(&member, n as u64, max_bytes)),
            Ok(_) if data.starts_with(b"PK\x03\x04") && depth < MAX_DEPTH => {
                out.extend(expand_at(&member, &data, max_bytes, depth + 1));
            }
            Ok(_) => out.push(InputFile::new(member, data)),
            Err(e) => out.push(InputFile {
                name: member,
                data: FileData::Unreadable(Rejection::new(
                    "damaged archive",
                    Diagnostic::new(format!("cannot decompress: {e}")),
                )),
            }),
        }
    }
    out
}

/// Reads files and folders (recursively, in name order, skipping hidden
/// entries and `__MACOSX`). Files over `max_bytes` are not read; unreadable
/// paths become unreadable entries. Zip files are left for [`super::ingest`]
/// to expand.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_paths<P: AsRef<std::path::Path>>(paths: &[P], max_bytes: usize) -> Vec<InputFile> {
    let mut out = Vec::new();
    for p in paths {
        read_path(p.as_ref(), max_bytes, &mut out);
    }
    out
}

#[cfg(not(target_arch = "wasm32"))]
fn read_path(path: &std::path::Path, max_bytes: usize, out: &mut Vec<InputFile>) {
    let name = path.display().to_string();
    let unreadable = |why: String| InputFile {
        name: name.clone(),
        data: FileData::Unreadable(Rejection::new("unreadable file", Diagnostic::new(why))),
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return out.push(unreadable(e.to_string())),
    };
    if meta.is_dir() {
        let mut children: Vec<_> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) => return out.push(unreadable(e.to_string())),
        };
        children.sort();
        for child in children {
            let hidden = child
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_skipped);
            if !hidden {
                read_path(&child, max_bytes, out);
            }
        }
    } else if meta.len() > max_bytes as u64 {
        out.push(too_large(&name, meta.len(), max_bytes));
    } else {
        match std::fs::read(path) {
            Ok(bytes) => out.push(InputFile::new(name, bytes)),
            Err(e) => out.push(unreadable(e.to_string())),
        }
    }
}
