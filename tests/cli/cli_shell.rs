//! Shell completions and man pages, generated from the clap definitions and used
//! for real: the bash script is sourced in `bash` and its completion function is
//! called as bash's programmable completion calls it; the man pages are rendered
//! by `man -l` (man-db).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BIN;

fn bin_dir() -> PathBuf {
    Path::new(BIN).parent().unwrap().to_path_buf()
}

fn empseal(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().expect("run empseal")
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A repository with overlays `alpha` and `beta` (kustomizations), a directory
/// without one (not an env), and `gamma` named only in empseal.yaml.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for env in ["alpha", "beta"] {
        let d = dir.path().join("k8s/overlays").join(env);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
        )
        .unwrap();
    }
    std::fs::create_dir_all(dir.path().join("k8s/overlays/notes")).unwrap();
    std::fs::write(
        dir.path().join("empseal.yaml"),
        "envs:\n  gamma:\n    namespace: g\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("k8s/overlays/alpha/sub")).unwrap();
    dir
}

/// Sources `empseal completions bash` in a real bash, finds the function bash would
/// call from `complete -p empseal`, calls it for the command line `words` (the cursor
/// on the last word) and returns COMPREPLY.
fn bash_complete(words: &[&str], cwd: &Path) -> Vec<String> {
    let script_dir = tempfile::tempdir().unwrap();
    let script = script_dir.path().join("empseal.bash");
    std::fs::write(&script, stdout(&empseal(&["completions", "bash"]))).unwrap();
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
        .collect();
    let program = format!(
        r#"set -u
source "$1"
spec=$(complete -p empseal) || exit 90
fn=$(sed -n 's/.*-F \([^ ]*\) .*/\1/p' <<<"$spec")
[ -n "$fn" ] || exit 91
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
prev=""
[ "$COMP_CWORD" -ge 1 ] && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
COMPREPLY=()
"$fn" empseal "${{COMP_WORDS[COMP_CWORD]}}" "$prev"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        words = quoted.join(" ")
    );
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&program)
        .arg("bash")
        .arg(&script)
        .current_dir(cwd)
        .env("PATH", path)
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "bash: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands() {
    let r = repo();
    assert_eq!(bash_complete(&["empseal", "se"], r.path()), ["seal"]);
    assert_eq!(
        bash_complete(&["empseal", "ro"], r.path()),
        ["rotate", "rollback", "rollout"]
    );
    assert_eq!(
        bash_complete(&["empseal", "cert", "f"], r.path()),
        ["fetch"]
    );
    let top = bash_complete(&["empseal", ""], r.path());
    for c in ["seal", "check", "completions", "man", "render"] {
        assert!(top.iter().any(|t| t == c), "{c} in {top:?}");
    }
    assert!(
        !top.iter().any(|t| t.starts_with("__")),
        "the helper is not offered: {top:?}"
    );
    let flags = bash_complete(&["empseal", "check", "--ex"], r.path());
    assert_eq!(flags, ["--exclude"]);
}

#[test]
fn bash_completes_env_names_from_the_repository() {
    let r = repo();
    let all = ["alpha", "beta", "gamma"];
    assert_eq!(
        bash_complete(&["empseal", "seal", "--env", ""], r.path()),
        all
    );
    assert_eq!(
        bash_complete(&["empseal", "seal", "--env", "b"], r.path()),
        ["beta"]
    );
    // bash splits `--env=` at `=` (COMP_WORDBREAKS).
    assert_eq!(
        bash_complete(&["empseal", "rotate", "--env", "=", "g"], r.path()),
        ["gamma"]
    );
    // Every command's --env, from a subdirectory of the repository too.
    let sub = r.path().join("k8s/overlays/alpha/sub");
    assert_eq!(bash_complete(&["empseal", "check", "--env", ""], &sub), all);
    assert_eq!(
        bash_complete(&["empseal", "cert", "fetch", "--env", "al"], &sub),
        ["alpha"]
    );
    // Outside any repository: nothing, and no error text in the command line.
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(bash_complete(&["empseal", "seal", "--env", ""], elsewhere.path()).is_empty());
}

#[test]
fn the_env_helper_lists_env_names_and_stays_hidden() {
    let r = repo();
    let out = Command::new(BIN)
        .arg("__complete-envs")
        .current_dir(r.path())
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "alpha\nbeta\ngamma\n");
    let help = stdout(&empseal(&["--help"]));
    assert!(!help.contains("__complete"), "{help}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let s = stdout(&empseal(&["completions", shell]));
        assert!(s.len() > 1000, "{shell}");
        // The only mention of the helper is the --env hook that calls it.
        assert!(
            s.matches("__complete-envs").count() <= 1,
            "{shell} offers the helper as a command"
        );
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let out = empseal(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `Commands:` of `empseal [SUB] --help`, without `help`.
fn subcommands(path: &[&str]) -> Vec<String> {
    let mut args: Vec<&str> = path.to_vec();
    args.push("--help");
    let help = stdout(&empseal(&args));
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// Every command path (`seal`, `cert`, `cert fetch`, ...), from the real `--help`.
fn command_paths() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for c in subcommands(&[]) {
        let nested = subcommands(&[c.as_str()]);
        out.push(vec![c.clone()]);
        for n in nested {
            out.push(vec![c.clone(), n]);
        }
    }
    out
}

#[test]
fn man_pages_for_every_command_render_with_man() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man/man1");
    let out = empseal(&["man", "--out-dir", out_dir.to_str().unwrap()]);
    let listed: BTreeSet<String> = stdout(&out).lines().map(str::to_string).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut want: BTreeSet<String> = BTreeSet::from(["empseal.1".to_string()]);
    let paths = command_paths();
    assert!(paths.len() >= 14, "{paths:?}");
    assert!(paths.contains(&vec!["cert".to_string(), "fetch".to_string()]));
    for p in &paths {
        want.insert(format!("empseal-{}.1", p.join("-")));
    }
    assert_eq!(on_disk, want);
    assert_eq!(
        listed,
        want.iter()
            .map(|f| out_dir.join(f).display().to_string())
            .collect()
    );
    for p in &paths {
        let page = out_dir.join(format!("empseal-{}.1", p.join("-")));
        let rendered = Command::new("man")
            .arg("-l")
            .arg(&page)
            .env("MANWIDTH", "200")
            .env("PAGER", "cat")
            .output()
            .expect("man (man-db); run `bash .ci/setup`");
        assert!(rendered.status.success(), "{}", page.display());
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains("NAME"), "{text}");
        assert!(text.contains(&format!("empseal-{}", p.join("-"))), "{text}");
        // Every long option `--help` lists is documented on the page.
        let mut args: Vec<&str> = p.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&empseal(&args));
        for flag in help
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(|w| w.trim_end_matches([',', '.', ')', '`']))
            .map(|w| w.split(['=', '[', '<']).next().unwrap())
        {
            if help.contains(&format!("  {flag}")) || help.contains(&format!(", {flag}")) {
                assert!(text.contains(flag), "{}: {flag}", page.display());
            }
        }
    }
    // man finds a page by name through MANPATH, as an installed page is found.
    let by_name = Command::new("man")
        .arg("empseal-seal")
        .env("MANPATH", dir.path().join("man"))
        .env("PAGER", "cat")
        .output()
        .unwrap();
    assert!(by_name.status.success());
    assert!(String::from_utf8_lossy(&by_name.stdout).contains("--from-env-file"));
}

/// Runs `program` in `shell` (`-c`) in `cwd` with the binary on PATH.
fn in_shell(shell: &str, program: &str, cwd: &Path) -> String {
    let out = Command::new(shell)
        .arg("-c")
        .arg(program)
        .current_dir(cwd)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("HOME", cwd)
        .env("XDG_CONFIG_HOME", cwd.join(".config"))
        .env("XDG_DATA_HOME", cwd.join(".local/share"))
        .output()
        .unwrap_or_else(|e| panic!("{shell}: {e}; run `bash .ci/setup`"));
    assert!(
        out.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn fish_completes_commands_and_env_names() {
    let r = repo();
    let script = r.path().join("empseal.fish");
    std::fs::write(&script, stdout(&empseal(&["completions", "fish"]))).unwrap();
    // fish's own completion engine: `complete -C LINE` prints what TAB offers.
    let got = in_shell(
        "fish",
        &format!(
            "source {}; complete -C 'empseal seal --env '; echo sep; complete -C 'empseal se'; echo sep; complete -C 'empseal rotate --env=g'",
            script.display()
        ),
        r.path(),
    );
    let words: Vec<&str> = got.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(
        words,
        [
            "alpha",
            "beta",
            "gamma",
            "sep",
            "seal",
            "sep",
            "--env=gamma"
        ]
    );
}

#[test]
fn zsh_script_parses_and_completes_env_names() {
    let r = repo();
    let script = r.path().join("_empseal");
    std::fs::write(&script, stdout(&empseal(&["completions", "zsh"]))).unwrap();
    in_shell("zsh", &format!("zsh -n {}", script.display()), r.path());
    // Loaded as zsh loads a completion (compinit, then the file), the --env action
    // offers the repository's envs (`_describe` shown instead of drawn).
    let got = in_shell(
        "zsh",
        &format!(
            r#"autoload -U compinit && compinit -u -D
source {}
(( $+functions[_empseal] )) || exit 3
_describe() {{ print -l -- "${{(@P)4}}" }}
words=(empseal seal --env '')
_empseal_envs"#,
            script.display()
        ),
        r.path(),
    );
    assert_eq!(got, "alpha\nbeta\ngamma\n");
    // Every --env spec uses that action, none completes file names.
    let text = std::fs::read_to_string(&script).unwrap();
    let specs: Vec<&str> = text.lines().filter(|l| l.contains("--env=[")).collect();
    assert!(specs.len() >= 7, "{specs:?}");
    assert!(
        specs.iter().all(|l| l.contains(":ENV:_empseal_envs'")),
        "{specs:?}"
    );
}

/// Man pages and completion scripts are built from the same hardened command as
/// `--help` (a guard: clap_mangen and clap_complete print no environment values
/// today, and a package must never carry the builder's certificate URL/password).
#[test]
fn man_pages_and_completions_never_carry_environment_values() {
    let secret = "s3cr3t-man-page-password";
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    let run = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env(
                "SEALED_SECRETS_CERT",
                format!("https://ops:{secret}@certs.example/cert.pem"),
            )
            .env("SEALED_SECRETS_CONTROLLER_NAME", format!("ctl-{secret}"))
            .output()
            .expect("run empseal")
    };
    let out = run(&["man", "--out-dir", out_dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages = 0;
    for entry in std::fs::read_dir(&out_dir).unwrap() {
        let page = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            !page.contains(secret),
            "a man page holds an environment value"
        );
        pages += 1;
    }
    assert!(pages > 10, "{pages} pages");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains(secret),
            "the {shell} completion holds an environment value"
        );
    }
}
