//! Embeds every `rules/*.toml` file into the engine at build time.

use std::{env, fs, path::PathBuf};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("rules directory")
        .map(|e| e.expect("rules entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    // Catalogue order is file order (sorted by name, with `zz_` files such as the generic rules
    // last), then order within each file.
    files.sort();
    let mut out = String::from("/// Every embedded rule file: (file name, contents).\n");
    out.push_str("pub(crate) static RULE_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").unwrap()).join("rule_files.rs");
    fs::write(dest, out).expect("write rule_files.rs");
}
