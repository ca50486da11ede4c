//! `empseal completions SHELL`, `empseal man --out-dir DIR` and the hidden
//! `empseal __complete-envs` the completion scripts call: all generated from the
//! clap definitions, so they cannot drift from the real command line.
//!
//! The scripts are clap_complete's static ones plus one dynamic piece: the value of
//! `--env` is completed from the repository the shell is in (the overlay
//! directories under `k8s/overlays/` and the envs named in `empseal.yaml`, found
//! from the current directory as every `--env` command finds them).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use clap_complete::Shell;

use crate::cli::exit::{Error, Result};
use empseal_env::fsio::{write_atomic, Sensitivity};

/// `empseal completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print a completion script for.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// The shells `completions` supports.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ShellArg {
    /// bash (save as /usr/share/bash-completion/completions/empseal, or `source <(empseal completions bash)`).
    Bash,
    /// zsh (save as `_empseal` in a directory on $fpath).
    Zsh,
    /// fish (save as ~/.config/fish/completions/empseal.fish).
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

impl From<ShellArg> for Shell {
    fn from(s: ShellArg) -> Shell {
        match s {
            ShellArg::Bash => Shell::Bash,
            ShellArg::Zsh => Shell::Zsh,
            ShellArg::Fish => Shell::Fish,
            ShellArg::Elvish => Shell::Elvish,
            ShellArg::Powershell => Shell::PowerShell,
        }
    }
}

/// `empseal man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write the pages here (created if missing): empseal.1 and one
    /// empseal-COMMAND.1 per command (empseal-cert-fetch.1 for nested ones).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

/// bash: `--env VALUE` and `--env=VALUE` complete from the repository; everything
/// else goes to clap_complete's function.
const BASH_ENVS: &str = r#"
_empseal_with_envs() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" before=""
    [[ ${COMP_CWORD} -ge 1 ]] && prev="${COMP_WORDS[COMP_CWORD-1]}"
    [[ ${COMP_CWORD} -ge 2 ]] && before="${COMP_WORDS[COMP_CWORD-2]}"
    if [[ "${prev}" == "=" && "${before}" == "--env" ]]; then
        prev="--env"
    elif [[ "${cur}" == "=" && "${prev}" == "--env" ]]; then
        cur=""
    fi
    if [[ "${prev}" == "--env" ]]; then
        local envs
        envs="$("${COMP_WORDS[0]}" __complete-envs 2>/dev/null)"
        COMPREPLY=( $(compgen -W "${envs}" -- "${cur}") )
        return 0
    fi
    _empseal "$@"
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _empseal_with_envs -o nosort -o bashdefault -o default empseal
else
    complete -F _empseal_with_envs -o bashdefault -o default empseal
fi
"#;

/// zsh: the `--env` specs call this function instead of completing file names.
const ZSH_ENVS: &str = r#"
(( $+functions[_empseal_envs] )) ||
_empseal_envs() {
    local -a envs
    envs=(${(f)"$(${words[1]} __complete-envs 2>/dev/null)"})
    _describe -t envs 'environment' envs
}
"#;

/// fish: adds the environments to every `--env`.
const FISH_ENVS: &str =
    "complete -c empseal -l env -x -a '(empseal __complete-envs 2>/dev/null)' -d environment\n";

/// The completion script for `shell`.
pub fn script(shell: ShellArg) -> String {
    // The hardened command (environment values hidden), like --help.
    let mut cmd = super::command();
    let mut buf = Vec::new();
    clap_complete::generate(Shell::from(shell), &mut cmd, "empseal", &mut buf);
    let mut text = String::from_utf8(buf).expect("clap_complete writes UTF-8");
    match shell {
        ShellArg::Bash => text.push_str(BASH_ENVS),
        ShellArg::Zsh => {
            // `'--env=[...]:ENV:_default'` completes file names; point it at the repo's envs.
            text = text.replace(":ENV:_default'", ":ENV:_empseal_envs'");
            let at = text
                .rfind("\nif [ \"$funcstack[1]\" = \"_empseal\" ]")
                .unwrap_or(text.len());
            text.insert_str(at, ZSH_ENVS);
        }
        ShellArg::Fish => text.push_str(FISH_ENVS),
        ShellArg::Elvish | ShellArg::Powershell => {}
    }
    text
}

/// `empseal completions SHELL`: prints the script.
pub fn completions(a: CompletionsArgs) -> Result<i32> {
    super::out::stdout(script(a.shell).as_bytes())?;
    Ok(0)
}

/// `empseal man --out-dir DIR`: one page for the main command and every visible
/// subcommand, nested ones included; prints the files written.
pub fn man(a: ManArgs) -> Result<i32> {
    std::fs::create_dir_all(&a.out_dir).map_err(|e| Error::io(&a.out_dir, e))?;
    // The hardened command (environment values hidden), like --help and the
    // completions: what a package ships never depends on the builder's environment.
    let mut cmd = super::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    write_pages(&cmd, &a.out_dir, &mut written)?;
    for path in written {
        super::out::say!("{}", path.display());
    }
    Ok(0)
}

fn write_pages(cmd: &clap::Command, dir: &std::path::Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let man =
        clap_mangen::Man::new(cmd.clone()).source(format!("empseal {}", env!("CARGO_PKG_VERSION")));
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page).map_err(|e| Error::io(&path, e))?;
    write_atomic(&path, &page, Sensitivity::Public)?;
    out.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, out)?;
    }
    Ok(())
}

/// The completion scripts' helper command: `empseal __complete-envs`. It is
/// answered before clap parses the command line, so it stays out of `--help`, the
/// man pages and the completions themselves.
pub const COMPLETE_ENVS: &str = "__complete-envs";

/// `empseal __complete-envs`: the environment names of the repository around the
/// current directory, one a line; nothing (and success) outside a repository, so
/// a completion never prints an error into the command line. Returns the exit code.
pub fn complete_envs() -> i32 {
    let names = super::io::workspace(None)
        .and_then(|ws| Ok(ws.env_names()?))
        .unwrap_or_default();
    let mut text = String::new();
    for n in names {
        text.push_str(&n);
        text.push('\n');
    }
    match super::out::stdout(text.as_bytes()) {
        Ok(()) => 0,
        Err(e) => e.exit_code(),
    }
}
