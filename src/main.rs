//! The `bali` binary: everything lives in the library (`bali::cli`), except the choice of
//! allocator.

/// mimalloc rather than the system allocator: the trainer frees and allocates the same large
/// tensor buffers every step, and glibc's malloc hands big blocks back to the OS on free, so
/// each step faulted them in again (about a million page faults and a tenth of a step in
/// kernel time; BENCHMARKS.md, "Training step").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (index 15 in `mi_option_e`, in both its v2 and v3
/// headers; libmimalloc-sys names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    bali::cli::main()
}

/// Freed memory stays with the process for reuse instead of being purged after mimalloc's
/// default delay of a second, about one training step: purged buffers were faulted in again
/// the next step. Resident memory is then the process's high-water mark, which stays flat as
/// input grows. `MIMALLOC_PURGE_DELAY` in the environment takes precedence.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option; mimalloc reads options at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}
