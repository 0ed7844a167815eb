//! custlake-schema
