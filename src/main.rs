//! The `empseal` binary: parses the command line, runs the command, and maps
//! typed errors to exit codes (see `empseal::error::exit`).

mod cli;

fn main() {
    let args = cli::parse();
    match cli::run(args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("empseal: error: {}", cli::printable(&e.to_string()));
            std::process::exit(e.exit_code());
        }
    }
}
