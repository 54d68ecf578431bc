//! Ingestion of whole inputs: format detection, zip archives, folders, bad
//! files, the size guard and the serialisable report.

use std::io::Write;

use melodeon::corpus::detect::{Format, NotMusic, detect};
use melodeon::corpus::report::SongStatus;
use melodeon::corpus::{self, EncodeOptions, FileData, InputFile, archive};

const KERN: &str = "!!!SCT: Z0001\n**kern\n*M2/4\n*C:\n=1\n4c\n4e\n=2\n2g\n==\n*-\n";
const ESAC: &str = "ZZZ\nCUT[Z]\nKEY[Z0002  08  G 2/4]\nMEL[1_3_  5__ //] >>\n";

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn detects_by_content_not_extension() {
    assert_eq!(detect(KERN.as_bytes()), Ok(Format::Kern));
    assert_eq!(detect(ESAC.as_bytes()), Ok(Format::Esac));
    assert_eq!(detect(b""), Err(NotMusic::Empty));
    assert_eq!(detect(b"  \r\n"), Err(NotMusic::Empty));
    assert_eq!(detect(b"\x7fELF\x02\x01\x01\0\0\0"), Err(NotMusic::Binary));
    assert_eq!(detect(b"hello world\n"), Err(NotMusic::Unknown));
    assert_eq!(detect(&zip(&[("a.krn", KERN.as_bytes())])), Ok(Format::Zip));
    // A kern file named .txt is still kern.
    let c = corpus::ingest(
        vec![InputFile::new("song.txt", KERN.as_bytes().to_vec())],
        &EncodeOptions::default(),
    );
    assert_eq!(c.report.file_reports[0].format.as_deref(), Some("kern"));
}

#[test]
fn zip_with_nested_folders_skips_macosx_and_hidden_files() {
    let inner = zip(&[("deep/e.sm", ESAC.as_bytes())]);
    let archive = zip(&[
        ("songs/kern/a.krn", KERN.as_bytes()),
        ("__MACOSX/songs/kern/._a.krn", b"\0\x05\x16\x07junk"),
        ("songs/.hidden.krn", KERN.as_bytes()),
        ("songs/inner.zip", &inner),
        ("readme.md", b"# not music\n"),
    ]);
    let c = corpus::ingest(
        vec![InputFile::new("up.zip", archive)],
        &EncodeOptions::default(),
    );
    let names: Vec<&str> = c
        .report
        .file_reports
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "up.zip/songs/kern/a.krn",
            "up.zip/songs/inner.zip/deep/e.sm",
            "up.zip/readme.md"
        ]
    );
    assert_eq!(c.report.totals.accepted, 2);
    assert_eq!(c.report.totals.files_failed.get("unknown format"), Some(&1));
    assert_eq!(
        c.songs[1].song.source.file,
        "up.zip/songs/inner.zip/deep/e.sm"
    );
}

#[test]
fn damaged_zip_is_reported() {
    let mut bytes = zip(&[("a.krn", KERN.as_bytes())]);
    bytes.truncate(20);
    let c = corpus::ingest(
        vec![InputFile::new("bad.zip", bytes)],
        &EncodeOptions::default(),
    );
    let f = &c.report.file_reports[0];
    assert_eq!(f.error.as_ref().unwrap().reason, "damaged archive");
}

#[test]
fn bad_files_each_get_a_reason_and_never_stop_the_others() {
    let mut big = b"this is not music\n".repeat(50 * 1024 * 1024 / 18);
    big.push(b'\n');
    let files = vec![
        InputFile::new("empty.krn", Vec::new()),
        InputFile::new("photo.jpg", b"\xff\xd8\xff\xe0\0\x10JFIF\0".to_vec()),
        InputFile::new("big.txt", big),
        InputFile::new("ok.krn", KERN.as_bytes().to_vec()),
        InputFile::new("cut.sm", b"KEY[Z9 08 C 2/4]\nMEL[1_2_".to_vec()),
        InputFile::new("ok.sm", ESAC.as_bytes().to_vec()),
    ];
    let c = corpus::ingest(files, &EncodeOptions::default());
    let t = &c.report.totals;
    assert_eq!(t.files, 6);
    assert_eq!(t.accepted, 2);
    assert_eq!(t.files_failed.get("empty file"), Some(&1));
    assert_eq!(t.files_failed.get("binary file"), Some(&1));
    assert_eq!(t.files_failed.get("unknown format"), Some(&1));
    assert_eq!(t.rejected.get("truncated record"), Some(&1));
    let report = c.report.to_string();
    assert!(report.contains("photo.jpg: binary file"), "{report}");
    assert!(
        report.contains("cut.sm [Z9]: rejected: line 2: MEL field opened at line 2 is not closed"),
        "{report}"
    );
}

#[test]
fn size_guard_refuses_without_parsing() {
    let opts = EncodeOptions {
        max_file_bytes: 10,
        ..EncodeOptions::default()
    };
    let c = corpus::ingest(
        vec![InputFile::new("a.krn", KERN.as_bytes().to_vec())],
        &opts,
    );
    assert_eq!(c.report.totals.files_failed.get("file too large"), Some(&1));
    assert!(c.songs.is_empty());
}

#[test]
fn folders_are_walked_in_order_skipping_hidden_entries() {
    let dir = std::env::temp_dir().join(format!("melodeon-corpus-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("b/c")).unwrap();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::write(dir.join("b/c/z.krn"), KERN).unwrap();
    std::fs::write(dir.join("a.sm"), ESAC).unwrap();
    std::fs::write(dir.join(".git/x.krn"), KERN).unwrap();
    std::fs::write(dir.join("b/.DS_Store"), b"\0\0\0\x01Bud1").unwrap();
    let files = archive::read_paths(
        &[dir.clone(), dir.join("missing.krn")],
        corpus::DEFAULT_MAX_FILE_BYTES,
    );
    let names: Vec<String> = files
        .iter()
        .map(|f| f.name.replace(&dir.display().to_string(), ""))
        .collect();
    assert_eq!(names, ["/a.sm", "/b/c/z.krn", "/missing.krn"]);
    assert!(matches!(files[2].data, FileData::Unreadable(_)));
    let small = archive::read_paths(&[dir.join("a.sm")], 5);
    assert!(matches!(&small[0].data, FileData::Unreadable(r) if r.reason == "file too large"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn report_serialises_with_the_totals_at_the_top() {
    let files = vec![
        InputFile::new("a.krn", KERN.as_bytes().to_vec()),
        InputFile::new("t.krn", b"**kern\n*C:\n12c\n12d\n12e\n*-\n".to_vec()),
    ];
    let c = corpus::ingest(files, &EncodeOptions::default());
    let json: serde_json::Value = serde_json::to_value(&c.report).unwrap();
    assert_eq!(json["files"], 2);
    assert_eq!(json["songs"], 2);
    assert_eq!(json["accepted"], 1);
    assert_eq!(json["rejected"]["triplet off the grid"], 1);
    assert_eq!(json["tokens"], 16);
    assert_eq!(json["windows"], 17);
    assert_eq!(
        json["vocab"],
        serde_json::json!([".", "60", "64", "67", "_"])
    );
    assert_eq!(json["keys"]["C major"], 1);
    let song = &json["file_reports"][1]["songs"][0];
    assert_eq!(song["status"], "rejected");
    assert_eq!(
        song["detail"]["message"],
        "triplet in bar 0 does not fit the 1/16 grid"
    );
    assert!(matches!(
        c.report.file_reports[0].songs[0].status,
        SongStatus::Accepted { tokens: 16 }
    ));
    assert_eq!(c.find("Z0001").unwrap().ids.len(), 16);
}
