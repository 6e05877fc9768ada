//! The `bali` binary: everything lives in the library (`bali::cli`), except the choice of
//! allocator.

/// mimalloc rather than the system allocator: the trainer frees and allocates the same large
/// tensor buffers every step, and glibc's malloc hands big blocks back to the OS on free, so
/// each step faulted them in again (about a million page faults and a tenth of a step in
/// kernel time; BENCHMARKS.md, "Training step").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bali::cli::keep_freed_memory();
    bali::cli::main()
}
