//! The `empseal` binary: parses the command line, runs the command, and maps
//! typed errors to exit codes (see `cli::exit`).

mod cli;

use std::io::IsTerminal;

use clap::error::ErrorKind;

fn main() {
    // The completion scripts' helper, kept out of help, man pages and completions.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == cli::COMPLETE_ENVS)
    {
        std::process::exit(cli::complete_envs());
    }
    let args = match cli::try_parse() {
        Ok(args) => args,
        // --help and --version go through the one stdout writer like every other
        // output (a closed pipe ends quietly); usage errors are clap's (exit 2).
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let text = if std::io::stdout().is_terminal() {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            match cli::out::stdout(text.as_bytes()) {
                Ok(()) => std::process::exit(0),
                Err(err) => {
                    cli::out::stderr(format_args!("empseal: error: {err}"));
                    std::process::exit(err.exit_code());
                }
            }
        }
        Err(e) => e.exit(),
    };
    match cli::run(args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            cli::out::stderr(format_args!(
                "empseal: error: {}",
                cli::printable(&e.to_string())
            ));
            std::process::exit(e.exit_code());
        }
    }
}
