//! The binary's memory allocator: jemalloc, set to hand freed memory back to the OS after about
//! a second.
//!
//! An export allocates and frees tens of megabytes per row group and per batch. glibc's malloc
//! keeps much of that resident once freed, and the resident set kept growing through a run
//! (1,000,000 records: about 25 MB more than 100,000 with the same live heap). jemalloc with a
//! one-second decay keeps the resident set near the live heap at the same speed; a shorter decay
//! costs a lot of `madvise` time (measured in BENCHMARKS.md). `MALLOC_CONF`-style overrides go
//! in `_RJEM_MALLOC_CONF`.

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read once before `main` runs (the `malloc_conf` global of its API):
/// dirty pages go back to the OS after 1 s, and are not kept as "muzzy" pages in between.
// SAFETY: jemalloc reads this symbol as a `const char *` to a NUL-terminated string; a
// reference to a byte array is exactly that pointer, and the bytes are immutable and 'static.
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_OPTIONS: &[u8; 37] = b"dirty_decay_ms:1000,muzzy_decay_ms:0\0";
