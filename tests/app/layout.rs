//! What each folder of `src/` may use (README, "Code layout"), checked on the source: the
//! agreement's rules stay pure, nothing below the web knows HTTP, and the database layer
//! knows no one above it.

use std::path::{Path, PathBuf};

/// The files named `*.{extension}` at or under `under`.
pub fn files(under: &Path, extension: &str) -> Vec<PathBuf> {
    if under.is_file() {
        return vec![under.to_path_buf()];
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(under).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path, extension));
        } else if path.extension().is_some_and(|e| e == extension) {
            found.push(path);
        }
    }
    found
}

/// Lines of code (not comments) under `folder` that name any of `forbidden`.
fn uses(folder: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(folder);
    let files = files(&root, "rs");
    assert!(!files.is_empty(), "no sources under {}", root.display());
    let mut found = Vec::new();
    for file in files {
        for (number, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if let Some(name) = forbidden.iter().find(|name| code.contains(*name)) {
                found.push(format!("{}:{}: {name}", file.display(), number + 1));
            }
        }
    }
    found
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let services_and_below = ["crate::web", "actix_web", "actix_multipart"];
    let checks: [(&str, Vec<&str>); 7] = [
        (
            "domain",
            vec![
                "crate::store",
                "crate::web",
                "crate::db",
                "crate::mail",
                "crate::payment",
                "crate::sso",
                "crate::config",
                "diesel",
                "actix",
                "askama",
                "lettre",
            ],
        ),
        ("db", vec!["crate::store", "crate::web", "crate::mail", "crate::payment", "crate::sso", "actix", "askama"]),
        ("store", services_and_below.to_vec()),
        ("payment", services_and_below.to_vec()),
        ("mail", services_and_below.to_vec()),
        ("sso.rs", services_and_below.to_vec()),
        ("security.rs", vec!["crate::store", "crate::web", "crate::db", "diesel", "actix"]),
    ];
    for (folder, forbidden) in checks {
        let found = uses(folder, &forbidden);
        assert!(found.is_empty(), "src/{folder} uses what it may not:\n{}", found.join("\n"));
    }
}
