//! Plan-then-apply for every command that writes: a run computes a [`WritePlan`]
//! (the bytes of each file it would write, in order), and only then either applies
//! it or — with `--dry-run` — describes it. The description names files and
//! whether they would be created or modified; it never holds a value (the bytes
//! stay in the plan, zeroized on drop).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::fsio::{ensure_inside, stage_atomic, Sensitivity, StagedWrite};

/// One step of a plan.
#[derive(Debug)]
enum Step {
    /// Write these bytes to the file atomically (creating its directory).
    Write {
        path: PathBuf,
        shown: String,
        bytes: Zeroizing<Vec<u8>>,
        sensitivity: Sensitivity,
        /// The user's own file (an env file), whose link may lead out of the
        /// repository on purpose ([`WritePlan::write_through`]).
        through: bool,
    },
    /// Set the file's mode.
    Mode {
        path: PathBuf,
        shown: String,
        mode: u32,
    },
    /// Remove the file if it exists. Best effort (local markers) unless
    /// `required`: then a failure other than its absence fails the commit.
    Remove {
        path: PathBuf,
        shown: String,
        required: bool,
    },
    /// Remove the stale temporary files of an interrupted run in this directory.
    Cleanup(PathBuf),
}

/// What a planned step would do to its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChange {
    /// The file does not exist yet.
    Create,
    /// The file exists and its bytes would change.
    Modify,
    /// The file exists with exactly these bytes (only its mode may change).
    Unchanged,
    /// Only the file's permissions would change.
    Mode,
    /// The file would be removed.
    Remove,
}

impl FileChange {
    /// `create`, `modify`, `unchanged` or `chmod`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileChange::Create => "create",
            FileChange::Modify => "modify",
            FileChange::Unchanged => "unchanged",
            FileChange::Mode => "chmod",
            FileChange::Remove => "remove",
        }
    }
}

/// The writes a command would make, in the order it makes them.
#[derive(Debug, Default)]
pub struct WritePlan {
    steps: Vec<Step>,
    /// Held until the plan is applied or dropped (the env's lock: the plan's
    /// reads and its writes are one critical section).
    guards: Vec<Box<dyn std::any::Any>>,
    /// The repository the writes belong to ([`WritePlan::confine`]).
    root: Option<PathBuf>,
}

impl WritePlan {
    /// An empty plan.
    pub fn new() -> WritePlan {
        WritePlan::default()
    }

    /// Plans writing `bytes` to `path` (`shown`: the path as messages print it).
    pub fn write(
        &mut self,
        path: &Path,
        shown: impl Into<String>,
        bytes: &[u8],
        sensitivity: Sensitivity,
    ) {
        self.push_write(path, shown.into(), bytes, sensitivity, false);
    }

    /// Plans writing the user's own file (an env file `rotate` rewrites): a
    /// symlink there is followed wherever it leads (plaintext kept in a vault
    /// outside the repository, linked in), unlike the files empseal owns, which
    /// [`WritePlan::confine`] keeps inside.
    pub fn write_through(
        &mut self,
        path: &Path,
        shown: impl Into<String>,
        bytes: &[u8],
        sensitivity: Sensitivity,
    ) {
        self.push_write(path, shown.into(), bytes, sensitivity, true);
    }

    fn push_write(
        &mut self,
        path: &Path,
        shown: String,
        bytes: &[u8],
        sensitivity: Sensitivity,
        through: bool,
    ) {
        self.steps.push(Step::Write {
            path: path.to_path_buf(),
            shown,
            bytes: Zeroizing::new(bytes.to_vec()),
            sensitivity,
            through,
        });
    }

    /// Plans setting `path`'s mode.
    pub fn chmod(&mut self, path: &Path, shown: impl Into<String>, mode: u32) {
        self.steps.push(Step::Mode {
            path: path.to_path_buf(),
            shown: shown.into(),
            mode,
        });
    }

    /// Plans removing `path`, best effort (for local markers; nothing when it
    /// does not exist).
    pub fn remove(&mut self, path: &Path, shown: impl Into<String>) {
        self.steps.push(Step::Remove {
            path: path.to_path_buf(),
            shown: shown.into(),
            required: false,
        });
    }

    /// Plans removing `path`, which must not outlive the plan (the local seal
    /// state a rollback invalidates): nothing when it does not exist, and any
    /// other failure stops the commit there with an error. Planned before the
    /// writes, a failure leaves them uncommitted; the plan never applied (a
    /// failure while planning or staging), the file stays.
    pub fn remove_required(&mut self, path: &Path, shown: impl Into<String>) {
        self.steps.push(Step::Remove {
            path: path.to_path_buf(),
            shown: shown.into(),
            required: true,
        });
    }

    /// Plans removing stale `.empseal-*.tmp` files in these directories first.
    pub fn cleanup(&mut self, dirs: &[Option<&Path>]) {
        for d in dirs.iter().flatten() {
            self.steps.push(Step::Cleanup(d.to_path_buf()));
        }
    }

    /// Confines the plan's writes to the repository at `root` (canonical): a
    /// write that a symlink inside it would carry outside is refused when the plan
    /// is staged ([`crate::fsio::ensure_inside`]).
    pub fn confine(&mut self, root: &Path) {
        self.root = Some(root.to_path_buf());
    }

    /// Keeps `guard` (e.g. an env lock) alive until the plan is applied or dropped.
    pub fn hold<T: 'static>(&mut self, guard: T) {
        self.guards.push(Box::new(guard));
    }

    /// Appends another plan's steps (and guards) after this one's.
    pub fn extend(&mut self, other: WritePlan) {
        self.steps.extend(other.steps);
        self.guards.extend(other.guards);
        if self.root.is_none() {
            self.root = other.root;
        }
    }

    /// The bytes the plan would leave in `path`: its last planned write.
    pub fn planned_bytes(&self, path: &Path) -> Option<&[u8]> {
        self.steps.iter().rev().find_map(|s| match s {
            Step::Write { path: p, bytes, .. } if p == path => Some(bytes.as_slice()),
            _ => None,
        })
    }

    /// Whether nothing would be written.
    pub fn is_empty(&self) -> bool {
        !self.steps.iter().any(|s| !matches!(s, Step::Cleanup(_)))
    }

    /// The files the plan touches, as shown, with what would happen to each (a
    /// file written twice is listed once, with its final bytes judged).
    pub fn files(&self) -> Vec<(String, FileChange)> {
        use std::os::unix::fs::PermissionsExt;
        let mut out: Vec<(String, FileChange)> = Vec::new();
        for s in &self.steps {
            let (shown, change) = match s {
                Step::Write {
                    path, shown, bytes, ..
                } => {
                    let change = match std::fs::read(path) {
                        Ok(old) if old == bytes.as_slice() => FileChange::Unchanged,
                        Ok(old) => {
                            let _ = Zeroizing::new(old);
                            FileChange::Modify
                        }
                        Err(_) => FileChange::Create,
                    };
                    (shown, change)
                }
                Step::Mode { path, shown, mode } => {
                    let same = std::fs::metadata(path)
                        .map(|m| m.permissions().mode() & 0o7777 == *mode)
                        .unwrap_or(false);
                    if same {
                        continue;
                    }
                    (shown, FileChange::Mode)
                }
                Step::Remove { path, shown, .. } => {
                    if std::fs::symlink_metadata(path).is_err() {
                        continue;
                    }
                    (shown, FileChange::Remove)
                }
                Step::Cleanup(_) => continue,
            };
            match out.iter_mut().find(|(s, _)| s == shown) {
                Some(entry) if entry.1 == FileChange::Mode => entry.1 = change,
                Some(entry) if change != FileChange::Mode => entry.1 = change,
                Some(_) => {}
                None => out.push((shown.clone(), change)),
            }
        }
        out
    }

    /// Performs the steps, all writes or none: [`WritePlan::stage`], then
    /// [`StagedPlan::commit`].
    pub fn apply(self) -> Result<()> {
        self.stage()?.commit()
    }

    /// The first half of [`WritePlan::apply`]: every write is staged (its
    /// directory created, its bytes in a synced temporary file beside it). A
    /// failure here (a full disk, a read-only directory) removes what was staged
    /// and the directories created, and leaves every file as it was.
    pub fn stage(self) -> Result<StagedPlan> {
        let WritePlan {
            steps,
            guards,
            root,
        } = self;
        if let Some(root) = &root {
            for s in &steps {
                if let Step::Write {
                    path,
                    shown,
                    through: false,
                    ..
                } = s
                {
                    ensure_inside(path, shown, root)?;
                }
            }
        }
        let mut created: Vec<PathBuf> = Vec::new();
        let mut staged = Vec::new();
        for s in &steps {
            let Step::Write {
                path,
                shown,
                bytes,
                sensitivity,
                ..
            } = s
            else {
                continue;
            };
            let step = create_dirs(path, shown, &mut created)
                .and_then(|()| stage_atomic(path, bytes, *sensitivity));
            match step {
                Ok(w) => staged.push(w),
                Err(e) => {
                    drop(staged);
                    for d in created.iter().rev() {
                        let _ = std::fs::remove_dir(d);
                    }
                    return Err(e);
                }
            }
        }
        Ok(StagedPlan {
            steps,
            staged,
            guards,
        })
    }
}

/// A plan whose writes are all staged ([`WritePlan::stage`]); dropped without
/// [`StagedPlan::commit`], nothing on disk changes but the directories created.
#[derive(Debug)]
pub struct StagedPlan {
    steps: Vec<Step>,
    /// One per `Step::Write`, in order.
    staged: Vec<StagedWrite>,
    guards: Vec<Box<dyn std::any::Any>>,
}

impl StagedPlan {
    /// Runs the steps in order, each write a rename of its staged file (the
    /// only failure left is the filesystem refusing a rename in a directory it
    /// just let us write in).
    pub fn commit(self) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let StagedPlan {
            steps,
            staged,
            guards,
        } = self;
        let mut staged = staged.into_iter();
        for s in steps {
            match s {
                Step::Write { .. } => {
                    if let Some(w) = staged.next() {
                        w.commit()?;
                    }
                }
                Step::Mode { path, shown, mode } => {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                        .map_err(|e| Error::io(shown, e))?;
                }
                Step::Remove {
                    path,
                    shown,
                    required,
                } => match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) if required => return Err(Error::io(shown, e)),
                    // Best effort otherwise, as the markers it removes are advisory.
                    Err(_) => {}
                },
                Step::Cleanup(dir) => {
                    crate::fsio::remove_stale_temps(&[Some(&dir)]);
                }
            }
        }
        drop(guards);
        Ok(())
    }
}

/// Creates the missing directories above `path`, adding each one created to
/// `created` (outermost first) so that a failed plan can remove them again.
fn create_dirs(path: &Path, shown: &str, created: &mut Vec<PathBuf>) -> Result<()> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(d) {
            Ok(()) => created.push(d.to_path_buf()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => return Err(Error::io(shown, e)),
        }
    }
    Ok(())
}
