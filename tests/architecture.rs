//! The house rules a newcomer can rely on, checked over the source text:
//! - data flows one way: each top-level module of `src/` imports only modules of earlier
//!   layers ([`LAYERS`]), so there is no cycle and no stage imports a later one;
//! - every user setting's default and range has one home in the core: the page (`src/app`) and
//!   the command line (`src/cli`) hold none of the known literals ([`SETTING_LITERALS`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The top-level modules in the order data flows through them; a module may import only
/// modules of earlier layers. A new module gets its place here.
const LAYERS: &[&[&str]] = &[
    // what a song is
    &["song"],
    // a person's settings of writing and playing tunes
    &["settings"],
    // songs ↔ tokens
    &["encoding"],
    // files → songs
    &["corpus"],
    // songs → training data and conditioning inputs
    &["data"],
    // the network, and which device runs it
    &["model", "backend"],
    // how a model is trained: recipes and their settings
    &["recipe"],
    // tokens → tunes
    &["generate"],
    // how well a model predicts held-out songs
    &["eval"],
    // tunes against songs
    &["stats"],
    // the model file, which gathers from every stage above
    &["model_file"],
    // a whole training run
    &["train"],
    // a song laid out for notation
    &["notation"],
    // a tune as a person sees it
    &["tune"],
    // MIDI, ABC, MusicXML, share links
    &["export"],
    // speed measurements of every stage
    &["bench"],
    // the two thin layers over the core
    &["app", "cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The text of a source file without its comments (`//` to the end of a line, outside string
/// literals as far as a count of quotes tells).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a source file");
    text.lines()
        .map(|line| {
            let mut quotes = 0;
            let bytes = line.as_bytes();
            for i in 0..bytes.len() {
                match bytes[i] {
                    b'"' if i == 0 || bytes[i - 1] != b'\\' => quotes += 1,
                    b'/' if quotes % 2 == 0 && bytes.get(i + 1) == Some(&b'/') => {
                        return &line[..i];
                    }
                    _ => {}
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `code` names through `crate::`, also inside `use crate::{…}` groups.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let word = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            // The first word of each top-level item of the group.
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group[..end].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_ascii_alphanumeric() || c == '_') => {
                        found.insert(word(&group[i..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(word(rest));
        }
    }
    found
}

/// The top-level module a file of `src/` belongs to (`None`: the crate's roots and binaries).
fn module_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "main.rs" | "bin" => None,
        name => Some(name.trim_end_matches(".rs").to_owned()),
    }
}

#[test]
fn every_module_imports_only_earlier_stages() {
    let mut wrong = Vec::new();
    let mut unplaced = BTreeSet::new();
    for path in sources(&src()) {
        let Some(module) = module_of(&path) else {
            continue;
        };
        let Some(layer) = layer_of(&module) else {
            unplaced.insert(module);
            continue;
        };
        for imported in imports(&code(&path)) {
            if imported == module {
                continue;
            }
            match layer_of(&imported) {
                Some(other) if other < layer => {}
                Some(_) => wrong.push(format!(
                    "{} ({module}) imports {imported}, which is not an earlier stage",
                    path.strip_prefix(src()).unwrap_or(&path).display()
                )),
                None => {
                    unplaced.insert(imported);
                }
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules without a place in LAYERS: {unplaced:?}"
    );
    assert!(
        wrong.is_empty(),
        "imports against the flow:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let code = "use crate::{data::{A, B}, model::C};\nlet x = crate::song::Meter::parse(y);";
    let found: Vec<String> = imports(code).into_iter().collect();
    assert_eq!(found, ["data", "model", "song"]);
    assert_eq!(
        imports(&code_of(
            "// crate::stats\nlet s = \"// crate::eval\"; crate::tune::x();"
        )),
        ["eval", "tune"].into_iter().map(String::from).collect()
    );
}

/// `code` for a text instead of a file.
fn code_of(text: &str) -> String {
    let path =
        std::env::temp_dir().join(format!("melodeon-architecture-{}.rs", std::process::id()));
    std::fs::write(&path, text).expect("a temporary file");
    let code = code(&path);
    let _ = std::fs::remove_file(&path);
    code
}

/// Literals of user settings' defaults and ranges that belong in the core (`settings`,
/// `recipe`, `model::config`), with what each is.
const SETTING_LITERALS: &[(&str, &str)] = &[
    ("clamp(0.1, 2.0)", "the temperature's range"),
    ("default_value_t = 1.0", "the temperature's default"),
    ("RwSignal::new(1.0", "the temperature's default"),
    ("clamp(30.0, 240.0)", "the tempo's range"),
    ("default_value_t = 100.0", "the tempo's default"),
    ("RwSignal::new(100.0", "the tempo's default"),
    ("\"4/4\"", "the default meter"),
    ("numerator: 4,", "the default meter"),
    ("seed: 42", "the default training seed"),
    ("default_value_t = 42", "the default training seed"),
    ("default_value_t = 768", "the default length"),
    ("clamp(1, 20)", "the number of tunes' range"),
    ("clamp(1, MAX", "the length's range"),
];

/// Whether a line of the page sets a number input's range by a literal (`min="4"`), which
/// must come from the core instead (progress bars and the like excepted).
fn literal_range(line: &str) -> bool {
    let literal = |attribute: &str| {
        line.match_indices(attribute).any(|(at, _)| {
            line[at + attribute.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == '-')
        })
    };
    !line.contains("<progress") && (literal("min=\"") || literal("max=\""))
}

#[test]
fn the_page_and_the_command_line_hold_no_setting_of_their_own() {
    let mut found = Vec::new();
    for folder in ["app", "cli"] {
        for path in sources(&src().join(folder)) {
            let code = code(&path);
            let name = path
                .strip_prefix(src())
                .unwrap_or(&path)
                .display()
                .to_string();
            for (number, line) in code.lines().enumerate() {
                for (literal, what) in SETTING_LITERALS {
                    if line.contains(literal) {
                        found.push(format!("{name}:{}: {what} (`{literal}`)", number + 1));
                    }
                }
                if folder == "app" && literal_range(line) {
                    found.push(format!("{name}:{}: an input's range", number + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "settings outside their home in the core:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_literal_range_is_told_from_one_read_from_the_core() {
    assert!(literal_range(r#"<input type="number" min="30" max="240""#));
    assert!(!literal_range(r#"<input min=TEMPO.range.min.to_string()"#));
    assert!(!literal_range(r#"<progress max="100" value=done>"#));
}
