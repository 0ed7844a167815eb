//! custlake-simulator
