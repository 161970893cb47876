//! The bench's integration tests.

mod model_file;
