//! Training the generic candidates' scorer on the CredData set, and scoring it by repository.
//!
//! A candidate on a line that a counting `T` label covers is a positive; one on a line that only
//! `F` or `X` labels cover is a negative; candidates on unlabelled lines (and on lines of bare
//! UUIDs) do not train. Training is deterministic: full-batch gradient descent (Adam) over the
//! files in path order, from zero weights.

use anyhow::Result;
use keywarden_engine::{Features, N_FEATURES, Scorer, candidates, features};

use crate::creddata::{CredData, LabelledFile, Truth};

/// One candidate of a labelled file.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Its line, 1-based.
    pub line: u32,
    /// Its features.
    pub features: Features,
    /// Credential (`Some(true)`), not one (`Some(false)`), unknown (`None`).
    pub label: Option<bool>,
}

/// The candidates of every file, in the order of [`CredData::files`].
pub fn collect(data: &CredData) -> Result<Vec<Vec<Sample>>> {
    let mut out = Vec::with_capacity(data.files.len());
    for file in &data.files {
        let bytes = data.read(file)?;
        let text = String::from_utf8_lossy(&bytes);
        let mut samples = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            let n = i as u32 + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            for c in candidates(line) {
                samples.push(Sample {
                    line: n,
                    features: features(&c, line, &file.path),
                    label: label_of(file, n),
                });
            }
        }
        out.push(samples);
    }
    Ok(out)
}

/// What the labels of `file` say of `line`.
pub fn label_of(file: &LabelledFile, line: u32) -> Option<bool> {
    let covering = file.labels.iter().filter(|l| l.covers(line));
    let mut seen = None;
    for l in covering {
        match l.truth {
            Truth::T if l.counts() => return Some(true),
            Truth::T => {}
            Truth::F | Truth::X => seen = Some(false),
        }
    }
    seen
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Gradient steps.
    pub steps: usize,
    /// Adam's step size.
    pub rate: f64,
    /// L2 penalty per weight.
    pub l2: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            steps: 400,
            rate: 0.05,
            l2: 1e-4,
        }
    }
}

/// Fits a logistic regression to the labelled samples.
pub fn fit(samples: &[(&Features, bool)], s: Settings) -> Scorer {
    let n = samples.len().max(1) as f64;
    let mut w = vec![0f64; N_FEATURES + 1];
    let (mut m, mut v) = (vec![0f64; w.len()], vec![0f64; w.len()]);
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let mut grad = vec![0f64; w.len()];
    for step in 1..=s.steps {
        grad.iter_mut().for_each(|g| *g = 0.0);
        for (f, y) in samples {
            let z = w[N_FEATURES]
                + f.iter()
                    .map(|&(i, x)| w[i as usize] * f64::from(x))
                    .sum::<f64>();
            let p = 1.0 / (1.0 + (-z).exp());
            let e = p - f64::from(u8::from(*y));
            for &(i, x) in f.iter() {
                grad[i as usize] += e * f64::from(x);
            }
            grad[N_FEATURES] += e;
        }
        for j in 0..w.len() {
            let mut g = grad[j] / n;
            if j < N_FEATURES {
                g += s.l2 * w[j];
            }
            m[j] = b1 * m[j] + (1.0 - b1) * g;
            v[j] = b2 * v[j] + (1.0 - b2) * g * g;
            let mh = m[j] / (1.0 - b1.powi(step as i32));
            let vh = v[j] / (1.0 - b2.powi(step as i32));
            w[j] -= s.rate * mh / (vh.sqrt() + eps);
        }
    }
    // Rounded as the model file stores them, so a trained model and its file score alike.
    let round = |x: f64| ((x * 1e6).round() / 1e6) as f32;
    Scorer {
        bias: round(w[N_FEATURES]),
        weights: w[..N_FEATURES].iter().map(|&x| round(x)).collect(),
    }
}

/// Fits a model to the labelled candidates of the files `keep` selects.
pub fn fit_files(
    data: &CredData,
    samples: &[Vec<Sample>],
    keep: impl Fn(&LabelledFile) -> bool,
    s: Settings,
) -> Scorer {
    let train: Vec<(&Features, bool)> = data
        .files
        .iter()
        .zip(samples)
        .filter(|(f, _)| keep(f))
        .flat_map(|(_, ss)| ss.iter().filter_map(|x| x.label.map(|y| (&x.features, y))))
        .collect();
    fit(&train, s)
}

/// The fold of a repository in grouped K-fold cross-validation: repositories sorted by id and
/// dealt round robin, so every repository's files are in one fold.
pub fn fold_of(repos: &[String], repo: &str, folds: usize) -> usize {
    repos.iter().position(|r| r == repo).unwrap_or(0) % folds.max(1)
}
