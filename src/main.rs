//! The `empseal` binary: parses the command line, runs the command, and maps
//! typed errors to exit codes (see `empseal::error::exit`).

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            cli::out::stderr(format_args!("empseal: error: {e}"));
            std::process::exit(e.exit_code());
        }
    }
}
