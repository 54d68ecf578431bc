//! The `melodeon` binary's exits: quiet on a closed pipe, one line and a failure code on
//! every error.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn melodeon() -> Command {
    Command::new(env!("CARGO_BIN_EXE_melodeon"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A scratch file holding `bytes`, removed when the returned guard drops.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, bytes: &[u8]) -> Scratch {
        let path = std::env::temp_dir().join(format!("melodeon-cli-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Asserts a failed run with exactly one line on standard error that names `file` and
/// contains `problem`.
fn assert_one_line_error(out: &Output, file: &Path, problem: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("melodeon: error:"))
        .collect();
    assert_eq!(lines.len(), 1, "one error line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(lines[0].contains(&*file.to_string_lossy()), "{stderr}");
    assert!(lines[0].contains(problem), "{stderr}");
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    // A report far larger than a pipe's buffer: the reader takes a few bytes and leaves.
    let many: Vec<PathBuf> = (0..200).map(|_| fixtures().join("kern")).collect();
    let mut child = melodeon()
        .arg("corpus")
        .arg("--json")
        .args(&many)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(stderr.is_empty(), "nothing on standard error: {stderr}");
}

#[test]
fn a_binary_corpus_file_is_one_line_naming_it() {
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let file = Scratch::new("noise.krn", &bytes);
    let out = melodeon().args(["corpus"]).arg(&file.0).output().unwrap();
    assert_one_line_error(&out, &file.0, "binary");
}

#[test]
fn a_wrong_model_file_is_one_line_naming_it() {
    let file = Scratch::new("not-a-model.mdl", b"**kern\n*M4/4\n4c\n*-\n");
    let out = melodeon()
        .args(["generate", "--model"])
        .arg(&file.0)
        .output()
        .unwrap();
    assert_one_line_error(&out, &file.0, "not a Melodeon model file");
}

#[test]
fn a_missing_file_is_one_line_naming_it() {
    let missing = std::env::temp_dir().join("melodeon-cli-no-such-file.krn");
    let out = melodeon().arg("corpus").arg(&missing).output().unwrap();
    assert_one_line_error(&out, &missing, "unreadable");
}
