//! The documents say the schema version the code writes (issue 27): every "unified schema vN"
//! in README.md and ARCHITECTURE.md names [`SCHEMA_VERSION`], and the README names it at least
//! once, so bumping the version without the documents fails here.

use std::path::Path;

use custlake_schema::SCHEMA_VERSION;

/// The numbers after every "unified schema v" in `text`.
fn stated_versions(text: &str) -> Vec<String> {
    text.match_indices("unified schema v")
        .map(|(at, phrase)| {
            text[at + phrase.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .collect()
}

#[test]
fn the_documents_state_the_schema_version_the_code_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (name, required) in [("README.md", true), ("ARCHITECTURE.md", false)] {
        let text = std::fs::read_to_string(root.join(name)).expect("document");
        let stated = stated_versions(&text.to_lowercase());
        assert!(
            !required || !stated.is_empty(),
            "{name} never states the schema version"
        );
        for version in stated {
            assert_eq!(
                version,
                SCHEMA_VERSION.to_string(),
                "{name} says unified schema v{version}; the code writes v{SCHEMA_VERSION}"
            );
        }
    }
}
