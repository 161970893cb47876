//! Embeds every `rules/*.toml` file into the engine at build time, and writes the engine's
//! digest: a hash of its sources, rules and model, which changes whenever findings may.

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
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out_dir.join("rule_files.rs"), out).expect("write rule_files.rs");

    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut digest = Fnv::default();
    for part in ["src", "rules", "model"] {
        let dir = root.join(part);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut paths = Vec::new();
        walk(&dir, &mut paths);
        paths.sort();
        for p in paths {
            digest.update(p.strip_prefix(&root).unwrap().to_string_lossy().as_bytes());
            digest.update(&fs::read(&p).expect("read engine source"));
        }
    }
    fs::write(
        out_dir.join("engine_digest.rs"),
        format!(
            "/// A hash of the engine's sources, rules and model at build time.\n\
             pub const ENGINE_DIGEST: &str = \"{}-{:016x}\";\n",
            env::var("CARGO_PKG_VERSION").unwrap(),
            digest.0
        ),
    )
    .expect("write engine_digest.rs");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("engine directory") {
        let path = entry.expect("engine directory entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// 64-bit FNV-1a, a hash that is the same on every build machine.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes.iter().chain([0u8].iter()) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
