//! The engine's integration tests: the catalogue's examples, rule semantics and properties.

mod catalogue;
mod properties;
mod semantics;
