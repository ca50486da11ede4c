//! The atomic writer's rules on real files (crates/env/src/fsio.rs; the binary's side is
//! in tests/cli/cli_files.rs): exact modes when a file
//! is replaced, no setuid/setgid/sticky, symlinks written through, the temporary
//! file beside the target (never in the current directory), crash leftovers
//! cleaned by the next write, and `-` meaning stdout, never a file named `-`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use empseal_env::fsio::{write_atomic, Sensitivity};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn set_mode(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

fn temps(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".empseal-"))
        .collect()
}

#[test]
fn overwriting_a_public_file_keeps_exactly_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("sealed.yaml");
    for m in [0o640, 0o604, 0o444, 0o755] {
        std::fs::write(&f, b"old").unwrap();
        set_mode(&f, m);
        write_atomic(&f, b"new", Sensitivity::Public).unwrap();
        assert_eq!(mode(&f), m, "mode {m:o} not kept");
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
    }
    let fresh = dir.path().join("fresh.yaml");
    write_atomic(&fresh, b"x", Sensitivity::Public).unwrap();
    assert_eq!(mode(&fresh), 0o644);
}

#[test]
fn overwriting_drops_setuid_setgid_and_sticky_bits() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f");
    for (before, public) in [
        (0o4755, 0o755),
        (0o2750, 0o750),
        (0o1644, 0o644),
        (0o7777, 0o777),
    ] {
        std::fs::write(&f, b"old").unwrap();
        set_mode(&f, before);
        write_atomic(&f, b"new", Sensitivity::Public).unwrap();
        assert_eq!(mode(&f), public, "public over {before:o}");
        set_mode(&f, before);
        write_atomic(&f, b"new", Sensitivity::Secret).unwrap();
        assert_eq!(mode(&f), 0o600, "secret over {before:o}");
    }
}

#[test]
fn overwriting_a_secret_file_is_always_0600() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("paper-secrets.env");
    write_atomic(&f, b"A=1\n", Sensitivity::Secret).unwrap();
    assert_eq!(mode(&f), 0o600);
    set_mode(&f, 0o644);
    write_atomic(&f, b"A=2\n", Sensitivity::Secret).unwrap();
    assert_eq!(mode(&f), 0o600);
}

#[test]
fn a_symlinked_file_is_written_through_to_its_target_in_the_targets_directory() {
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("vault");
    let link_dir = dir.path().join("overlay");
    std::fs::create_dir_all(&real_dir).unwrap();
    std::fs::create_dir_all(&link_dir).unwrap();
    let real = real_dir.join("paper-secrets.env");
    std::fs::write(&real, b"A=old\n").unwrap();
    set_mode(&real, 0o600);
    let ino = std::fs::metadata(&real).unwrap().ino();
    // overlay/paper-secrets.env -> hop -> ../vault/paper-secrets.env (relative links).
    std::os::unix::fs::symlink("../vault/paper-secrets.env", link_dir.join("hop")).unwrap();
    let link = link_dir.join("paper-secrets.env");
    std::os::unix::fs::symlink("hop", &link).unwrap();

    write_atomic(&link, b"A=new\n", Sensitivity::Secret).unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), b"A=new\n");
    assert_ne!(
        std::fs::metadata(&real).unwrap().ino(),
        ino,
        "replaced by rename, not rewritten in place"
    );
    assert_eq!(mode(&real), 0o600);
    assert!(temps(&link_dir).is_empty() && temps(&real_dir).is_empty());

    // A dangling link: the file it names is created.
    let dangling = link_dir.join("dangling");
    std::os::unix::fs::symlink("../vault/new.yaml", &dangling).unwrap();
    write_atomic(&dangling, b"x", Sensitivity::Public).unwrap();
    assert_eq!(std::fs::read(real_dir.join("new.yaml")).unwrap(), b"x");
}

#[test]
fn the_temp_file_is_created_beside_the_target_not_in_the_cwd() {
    // The target is on a different filesystem (tmpfs) than the current directory:
    // a temporary file in the current directory could not be renamed over it.
    let shm = Path::new("/dev/shm");
    assert!(shm.is_dir(), "/dev/shm is needed for this test");
    let cwd = std::env::current_dir().unwrap();
    assert_ne!(
        std::fs::metadata(shm).unwrap().dev(),
        std::fs::metadata(&cwd).unwrap().dev(),
        "the test needs /dev/shm on another filesystem than {}",
        cwd.display()
    );
    let dir = tempfile::tempdir_in(shm).unwrap();
    let f = dir.path().join("out.yaml");
    write_atomic(&f, b"first", Sensitivity::Secret).unwrap();
    write_atomic(&f, b"second", Sensitivity::Public).unwrap();
    assert_eq!(std::fs::read(&f).unwrap(), b"second");
    assert!(temps(dir.path()).is_empty());
}

/// A plan's writes are all staged before any is renamed into place: one write
/// that cannot be staged (here its directory is a regular file) leaves every
/// file as it was, with no temporary file and no directory the plan created.
#[test]
fn a_plan_writes_all_its_files_or_none() {
    use empseal_env::plan::WritePlan;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let existing = d.join("sealed.yaml");
    std::fs::write(&existing, b"old").unwrap();
    set_mode(&existing, 0o640);
    std::fs::write(d.join("not-a-dir"), b"").unwrap();
    let plan = |last: &Path| {
        let mut p = WritePlan::new();
        p.write(&existing, "sealed.yaml", b"new", Sensitivity::Public);
        p.write(
            &d.join("new/deeper/record.yaml"),
            "record",
            b"r",
            Sensitivity::Public,
        );
        p.write(&d.join(".x.state"), ".x.state", b"s", Sensitivity::Secret);
        p.write(last, "last", b"l", Sensitivity::Public);
        p
    };

    let err = plan(&d.join("not-a-dir/file.yaml")).apply().unwrap_err();
    assert!(err.to_string().contains("not-a-dir"), "{err}");
    assert_eq!(std::fs::read(&existing).unwrap(), b"old");
    assert_eq!(mode(&existing), 0o640);
    assert!(
        !d.join("new").exists(),
        "the directories it created are removed"
    );
    assert!(!d.join(".x.state").exists());
    assert!(temps(d).is_empty(), "{:?}", temps(d));

    // Staged but not committed: nothing replaced either.
    let staged = plan(&d.join("last.yaml")).stage().unwrap();
    assert_eq!(std::fs::read(&existing).unwrap(), b"old");
    assert!(!d.join("last.yaml").exists());
    assert_eq!(
        temps(d).len(),
        3,
        "staged beside their targets: {:?}",
        temps(d)
    );
    drop(staged);
    assert!(temps(d).is_empty(), "{:?}", temps(d));

    plan(&d.join("last.yaml")).apply().unwrap();
    assert_eq!(std::fs::read(&existing).unwrap(), b"new");
    assert_eq!(mode(&existing), 0o640);
    assert_eq!(
        std::fs::read(d.join("new/deeper/record.yaml")).unwrap(),
        b"r"
    );
    assert_eq!(mode(&d.join(".x.state")), 0o600);
    assert_eq!(std::fs::read(d.join("last.yaml")).unwrap(), b"l");
    assert!(temps(d).is_empty(), "{:?}", temps(d));
}

/// A write to a file of the repository that a symlink would carry out of it is
/// refused (a link committed in a pull request must not make `seal` overwrite
/// `~/.bashrc`); links that stay inside, and paths named outside on purpose, pass.
#[test]
fn writes_stay_inside_the_repository_unless_named_outside() {
    use empseal_env::fsio::ensure_inside;
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let root = base.join("repo");
    let outside = base.join("home");
    std::fs::create_dir_all(root.join("k8s/prod")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join(".bashrc"), b"export PS1\n").unwrap();

    // A file, a missing file, a file in directories not created yet: inside.
    std::fs::write(root.join("k8s/prod/sealed.yaml"), b"x").unwrap();
    for p in [
        "k8s/prod/sealed.yaml",
        "k8s/prod/new.yaml",
        "k8s/prod/sealing/keyring/a.pem",
    ] {
        ensure_inside(&root.join(p), p, &root).unwrap();
    }
    // A link to another file of the repository: followed.
    symlink("sealed.yaml", root.join("k8s/prod/alias.yaml")).unwrap();
    ensure_inside(&root.join("k8s/prod/alias.yaml"), "alias", &root).unwrap();

    // A link out of it, directly or through `..`, or a linked directory: refused.
    symlink(outside.join(".bashrc"), root.join("k8s/prod/.state")).unwrap();
    symlink("../../../home/.bashrc", root.join("k8s/prod/.state2")).unwrap();
    symlink(&outside, root.join("k8s/prod/sealing-link")).unwrap();
    for p in [
        "k8s/prod/.state",
        "k8s/prod/.state2",
        "k8s/prod/sealing-link/record.yaml",
    ] {
        let err = ensure_inside(&root.join(p), p, &root)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("{p}: a symlink leads this write out")),
            "{err}"
        );
        assert!(err.contains(&outside.display().to_string()), "{err}");
    }
    // ... and a plan confined to the repository writes nothing.
    let mut plan = empseal_env::plan::WritePlan::new();
    plan.confine(&root);
    plan.write(
        &root.join("k8s/prod/sealed.yaml"),
        "sealed",
        b"new",
        Sensitivity::Public,
    );
    plan.write(
        &root.join("k8s/prod/.state"),
        ".state",
        b"state",
        Sensitivity::Secret,
    );
    plan.apply().unwrap_err();
    assert_eq!(
        std::fs::read(outside.join(".bashrc")).unwrap(),
        b"export PS1\n"
    );
    assert_eq!(
        std::fs::read(root.join("k8s/prod/sealed.yaml")).unwrap(),
        b"x"
    );

    // A path that is itself outside (configured so): the user's choice.
    ensure_inside(&root.join("../home/.bashrc"), "configured", &root).unwrap();
    ensure_inside(&outside.join("prod.env"), "configured", &root).unwrap();
}

/// As the kernel's protected_symlinks: a link another user left in a sticky,
/// world-writable directory is not followed (`-w /tmp/out.yaml` planted to point
/// at the victim's file); the user's own links there are.
#[test]
fn a_link_planted_by_another_user_in_a_shared_directory_is_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("tmp");
    std::fs::create_dir(&shared).unwrap();
    set_mode(&shared, 0o1777);
    let victim = dir.path().join("authorized_keys");
    std::fs::write(&victim, b"ssh-ed25519 AAAA\n").unwrap();
    let planted = shared.join("out.yaml");
    symlink(&victim, &planted).unwrap();
    let me = std::fs::metadata(dir.path()).unwrap().uid();
    // Our own link in the shared directory is followed.
    write_atomic(&planted, b"ssh-ed25519 AAAA\n", Sensitivity::Public).unwrap();
    // Another user's (root may hand the link over; elsewhere the test needs root).
    if std::os::unix::fs::lchown(&planted, Some(me + 4242), None).is_err() {
        eprintln!("skipped: changing a link's owner needs root");
        return;
    }
    let err = write_atomic(&planted, b"attacker\n", Sensitivity::Public)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("another user left in a shared directory"),
        "{err}"
    );
    assert_eq!(std::fs::read(&victim).unwrap(), b"ssh-ed25519 AAAA\n");
    // Not sticky: the kernel follows it, and so do we.
    set_mode(&shared, 0o777);
    write_atomic(&planted, b"ssh-ed25519 AAAA\n", Sensitivity::Public).unwrap();
}

#[test]
fn a_required_removal_happens_only_when_the_plan_is_applied_and_its_failure_stops_it() {
    use empseal_env::plan::WritePlan;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let state = d.join(".x.state");
    let sealed = d.join("sealed.yaml");
    std::fs::write(&sealed, b"old").unwrap();
    let plan = |gone: &Path| {
        let mut p = WritePlan::new();
        p.remove_required(gone, "gone");
        p.write(&sealed, "sealed.yaml", b"new", Sensitivity::Public);
        p
    };

    // Planned and dropped (what a failure while planning does): the file stays.
    std::fs::write(&state, b"s").unwrap();
    drop(plan(&state));
    assert!(state.exists());
    // Staged, not committed: still there.
    drop(plan(&state).stage().unwrap());
    assert!(state.exists());
    // Applied: removed, and the write made.
    plan(&state).apply().unwrap();
    assert!(!state.exists());
    assert_eq!(std::fs::read(&sealed).unwrap(), b"new");
    // Already absent: nothing to do.
    plan(&state).apply().unwrap();

    // A removal that fails (a directory, not a file) is an error naming it, and
    // the writes planned after it are not committed; a best-effort one is not.
    std::fs::write(&sealed, b"old").unwrap();
    std::fs::create_dir(d.join("a-dir")).unwrap();
    let err = plan(&d.join("a-dir")).apply().unwrap_err();
    assert!(err.to_string().contains("gone"), "{err}");
    assert_eq!(std::fs::read(&sealed).unwrap(), b"old");
    let mut best_effort = WritePlan::new();
    best_effort.remove(&d.join("a-dir"), "marker");
    best_effort.apply().unwrap();
    assert!(temps(d).is_empty(), "{:?}", temps(d));
}
