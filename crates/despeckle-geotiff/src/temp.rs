//! Output files written whole or not at all, never over an input or a special file.
//!
//! A [`TempFile`] is created beside the final path as `.NAME.tmp-PID` (`.NAME.tmp-PID-N` if
//! that is taken), filled, and renamed onto the final path when complete; it is removed
//! otherwise (on drop, or from a Ctrl-C handler through [`remove_unfinished_outputs`]).
//! Creating one first removes the temporary files of the same output name left by processes
//! that no longer run (killed with SIGKILL, power loss, ...).
//!
//! Before anything is written and again just before the final rename, the target is checked
//! with [`check_target`]: it must not be one of the files the command reads (compared by
//! [`FileId`], device and inode, so that any spelling, symbolic link or hard link is caught),
//! and if it exists it must be a regular file (a device, FIFO or socket is never replaced).

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result, parent_dir};

/// Temporary files of the writers alive in this process.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list usable.
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes the temporary files of every [`Writer`](crate::Writer) (and every other
/// [`TempFile`]) of this process that has not finished, and returns how many were removed.
///
/// Meant for a Ctrl-C (SIGINT/SIGTERM) handler that exits the process without running
/// destructors; dropping a writer removes its temporary file by itself.
pub fn remove_unfinished_outputs() -> usize {
    let list = pending();
    list.iter().filter(|p| fs::remove_file(p).is_ok()).count()
}

/// The identity of an existing file, whatever path names it: device and inode number on
/// Unix (two paths with the same `FileId` are the same file: same spelling, `./`, `..`,
/// symbolic or hard links), the canonical path elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileId {
    #[cfg(unix)]
    dev: u64,
    #[cfg(unix)]
    ino: u64,
    #[cfg(not(unix))]
    canonical: PathBuf,
}

impl FileId {
    /// The identity of the file `path` names (following symbolic links); `Ok(None)` if
    /// nothing exists there (or a symbolic link leads nowhere).
    pub fn of(path: &Path) -> io::Result<Option<FileId>> {
        match fs::metadata(path) {
            Ok(meta) => Ok(Some(FileId::from_metadata(path, &meta)?)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    #[cfg(unix)]
    fn from_metadata(_path: &Path, meta: &Metadata) -> io::Result<FileId> {
        use std::os::unix::fs::MetadataExt;
        Ok(FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    #[cfg(not(unix))]
    fn from_metadata(path: &Path, _meta: &Metadata) -> io::Result<FileId> {
        Ok(FileId {
            canonical: path.canonicalize()?,
        })
    }
}

/// What kind of file a metadata describes, for messages: `None` for a regular file.
pub fn special_kind(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("character device");
        }
        if t.is_block_device() {
            return Some("block device");
        }
        if t.is_socket() {
            return Some("socket");
        }
    }
    Some("special file")
}

/// Opens an input file for reading, refusing anything but a regular file (a folder, FIFO,
/// device or socket) without blocking: a FIFO is opened non-blocking, so that nothing waits
/// for a writer that never comes.
pub fn open_input(path: &Path) -> Result<File> {
    let rd = |e| Error::from_open_io(path, e);
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(rd)?;
    let meta = file.metadata().map_err(rd)?;
    if let Some(kind) = special_kind(&meta) {
        return Err(Error::NotRegularFile {
            path: path.to_path_buf(),
            kind,
        });
    }
    #[cfg(unix)]
    {
        // Back to ordinary blocking reads (O_NONBLOCK means nothing for regular files, but
        // it is not kept on a descriptor handed on).
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        // SAFETY: fcntl on a descriptor this function owns, with valid commands.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
    Ok(file)
}

/// Checks that `path` may receive an output: it is not one of `inputs` (the files the
/// command reads), and if something exists there it is a regular file (never a folder,
/// device, FIFO or socket) and `overwrite` is set.
///
/// Called before anything is written and again just before a [`TempFile`] is renamed into
/// place.
pub fn check_target(path: &Path, overwrite: bool, inputs: &[(PathBuf, FileId)]) -> Result<()> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::from_write_io(path, e)),
    };
    let id = FileId::from_metadata(path, &meta).map_err(|e| Error::from_write_io(path, e))?;
    if let Some((input, _)) = inputs.iter().find(|(_, i)| *i == id) {
        return Err(Error::OutputIsInput {
            path: path.to_path_buf(),
            input: input.clone(),
        });
    }
    if let Some(kind) = special_kind(&meta) {
        return Err(Error::OutputNotRegular {
            path: path.to_path_buf(),
            kind,
        });
    }
    if !overwrite {
        return Err(Error::OutputExists {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// A temporary file registered for removal until [`TempFile::persist`] renames it.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    /// The files the output must never replace.
    inputs: Vec<(PathBuf, FileId)>,
    done: bool,
}

/// The temporary-file name prefix of an output name: `.NAME.tmp-`.
fn temp_prefix(final_path: &Path) -> String {
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    format!(".{name}.tmp-")
}

/// Whether process `pid` runs (or may run: when in doubt, yes).
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        if pid <= 0 {
            return true;
        }
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let r = unsafe { libc::kill(pid, 0) };
        // EPERM: it exists, owned by another user.
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// The process id of a temporary file of the output named by `prefix` (`.NAME.tmp-`):
/// `.NAME.tmp-PID` or `.NAME.tmp-PID-N`, digits only; `None` for any other name.
fn temp_owner(file_name: &str, prefix: &str) -> Option<u32> {
    let rest = file_name.strip_prefix(prefix)?;
    let (pid, counter) = match rest.split_once('-') {
        Some((p, n)) => (p, Some(n)),
        None => (rest, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || counter.is_some_and(|n| !digits(n)) {
        return None;
    }
    pid.parse().ok()
}

/// Removes, in `dir`, the temporary files of the output `final_path` whose process no longer
/// runs (left by a process killed with SIGKILL or a machine crash). Files of running
/// processes, of this process and of other names are left alone. Returns how many were
/// removed.
pub fn remove_stale_temps(final_path: &Path, dir: &Path) -> usize {
    let prefix = temp_prefix(final_path);
    let me = std::process::id();
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| temp_owner(n, &prefix)) else {
            continue;
        };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if pid != me && is_file && !process_alive(pid) && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

impl TempFile {
    /// Creates `.NAME.tmp-PID` (with a counter if taken) in `final_path`'s folder, after
    /// removing stale temporary files of the same name ([`remove_stale_temps`]). `inputs` are
    /// the files the output must never replace (checked again by [`TempFile::persist`]).
    pub fn create(final_path: &Path, inputs: &[(PathBuf, FileId)]) -> io::Result<(TempFile, File)> {
        let dir = parent_dir(final_path);
        remove_stale_temps(final_path, &dir);
        let prefix = temp_prefix(final_path);
        let pid = std::process::id();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let file_name = if n == 0 {
                format!("{prefix}{pid}")
            } else {
                format!("{prefix}{pid}-{n}")
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
                    let temp = TempFile {
                        path,
                        inputs: inputs.to_vec(),
                        done: false,
                    };
                    return Ok((temp, file));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the temporary file onto `final_path`, after checking the target again
    /// ([`check_target`]: never an input, never a special file; an existing file only with
    /// `overwrite`).
    pub fn persist(mut self, final_path: &Path, overwrite: bool) -> Result<()> {
        check_target(final_path, overwrite, &self.inputs)?;
        let wr = |e| Error::from_write_io(final_path, e);
        if overwrite {
            fs::rename(&self.path, final_path).map_err(wr)?;
        } else {
            // A hard link fails atomically if the target exists; fall back to a check-and-rename
            // on file systems without hard links.
            match fs::hard_link(&self.path, final_path) {
                Ok(()) => {
                    let _ = fs::remove_file(&self.path);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(Error::OutputExists {
                        path: final_path.to_path_buf(),
                    });
                }
                Err(_) => {
                    if final_path.exists() {
                        return Err(Error::OutputExists {
                            path: final_path.to_path_buf(),
                        });
                    }
                    fs::rename(&self.path, final_path).map_err(wr)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_scheme_names_an_owner() {
        let p = ".out.tif.tmp-";
        assert_eq!(temp_owner(".out.tif.tmp-123", p), Some(123));
        assert_eq!(temp_owner(".out.tif.tmp-123-4", p), Some(123));
        for other in [
            ".out.tif.tmp-",
            ".out.tif.tmp-12a",
            ".out.tif.tmp-12-",
            ".out.tif.tmp-12-x",
            ".out.tif.tmp-1-2-3",
            ".out.tif.tmp-+12",
            "out.tif.tmp-12",
            ".xout.tif.tmp-12",
        ] {
            assert_eq!(temp_owner(other, p), None, "{other}");
        }
    }
}
