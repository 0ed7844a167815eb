//! custlake-pipeline
