//! Temporary output files: created beside the final path, renamed onto it when complete,
//! removed otherwise (on drop, or from a Ctrl-C handler through [`remove_unfinished_outputs`]).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporary files of the writers alive in this process.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list usable.
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes the temporary files of every [`Writer`](crate::Writer) of this process that has not
/// finished, and returns how many were removed.
///
/// Meant for a Ctrl-C (SIGINT/SIGTERM) handler that exits the process without running
/// destructors; dropping a writer removes its temporary file by itself.
pub fn remove_unfinished_outputs() -> usize {
    let list = pending();
    list.iter().filter(|p| fs::remove_file(p).is_ok()).count()
}

/// A temporary file registered for removal until [`TempFile::persist`] renames it.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    done: bool,
}

impl TempFile {
    /// Creates `.NAME.tmp-PID` (with a counter if taken) in `final_path`'s folder.
    pub(crate) fn create(final_path: &Path, dir: &Path) -> io::Result<(TempFile, File)> {
        let name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let pid = std::process::id();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let file_name = if n == 0 {
                format!(".{name}.tmp-{pid}")
            } else {
                format!(".{name}.tmp-{pid}-{n}")
            };
            let path = dir.join(file_name);
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    pending().push(path.clone());
                    return Ok((TempFile { path, done: false }, file));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The temporary file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the temporary file onto `final_path`. Without `overwrite` an existing file there
    /// is left alone and `AlreadyExists` is returned.
    pub(crate) fn persist(mut self, final_path: &Path, overwrite: bool) -> io::Result<()> {
        if overwrite {
            fs::rename(&self.path, final_path)?;
        } else {
            // A hard link fails atomically if the target exists; fall back to a check-and-rename
            // on file systems without hard links.
            match fs::hard_link(&self.path, final_path) {
                Ok(()) => {
                    let _ = fs::remove_file(&self.path);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
                Err(_) => {
                    if final_path.exists() {
                        return Err(io::ErrorKind::AlreadyExists.into());
                    }
                    fs::rename(&self.path, final_path)?;
                }
            }
        }
        self.done = true;
        self.unregister();
        Ok(())
    }

    fn unregister(&self) {
        pending().retain(|p| p != &self.path);
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.path);
            self.unregister();
        }
    }
}
