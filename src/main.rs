//! The `bali` binary: everything lives in the library (`bali::cli`).

fn main() -> std::process::ExitCode {
    bali::cli::main()
}
