//! Output safety for every command that writes files: no output may ever replace an input,
//! a special file or another output of the same command.
//!
//! A command lists the files it reads and the files it writes (filter output, quick-look PNG,
//! report, one output per input, ...) and calls [`Outputs::check`] **before writing
//! anything**. It refuses, with a one-line error naming the file:
//!
//! - an input that is not a regular file (a folder, FIFO, device or socket; nothing blocks on
//!   a FIFO);
//! - an output that is an input, however either is spelled: relative or absolute, `./`, `..`,
//!   symbolic links, hard links (files are compared by device and inode,
//!   [`FileId`]);
//! - two outputs that are the same file (existing ones by device and inode, new ones by the
//!   canonical path of their folder and their name, so `dir/o.tif` and `link-to-dir/o.tif`
//!   collide);
//! - an output whose folder does not exist, or that exists as a folder, FIFO, device or socket
//!   (never replaced, even with `overwrite`), or as a regular file without `overwrite`.
//!
//! Then every output is written through [`Outputs::create`] (or, for GeoTIFFs, a
//! [`Writer`](despeckle_geotiff::Writer) whose
//! [`WriterOptions::inputs`](despeckle_geotiff::WriterOptions::inputs) is
//! [`Outputs::inputs`]): a temporary file `.NAME.tmp-PID` in the target folder, renamed onto
//! the target when complete after the same checks once more (so a file swapped in meanwhile is
//! not replaced either), removed on error, drop or Ctrl-C
//! ([`remove_unfinished_outputs`](crate::remove_unfinished_outputs)). Temporary files of the
//! same output name left by a process that no longer runs (killed with SIGKILL, machine crash)
//! are removed when a new one is created.
//!
//! ```no_run
//! use std::io::Write;
//! use std::path::Path;
//! use despeckle_file::outputs::Outputs;
//!
//! let (input, report) = (Path::new("scene.tif"), Path::new("scene.html"));
//! let outputs = Outputs::check([input], [report], false)?;
//! // ... read the input, compute ...
//! let mut html = outputs.create(report)?;
//! html.file().write_all(b"<html>...</html>").map_err(|e| html.write_error(e))?;
//! html.commit(false)?;
//! # Ok::<(), despeckle_file::Error>(())
//! ```

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use despeckle_geotiff::temp::{FileId, TempFile, check_target, special_kind};

use crate::{Error, Result};

/// The inputs and outputs of one command, checked: see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Outputs {
    inputs: Vec<(PathBuf, FileId)>,
    outputs: Vec<PathBuf>,
    overwrite: bool,
}

/// Where an output will land: its identity if it exists, and its folder's canonical path
/// joined with its name.
struct Target<'a> {
    path: &'a Path,
    id: Option<FileId>,
    resolved: PathBuf,
}

impl Outputs {
    /// Checks every input and output of a command before anything is written (see the
    /// [module documentation](self)); `overwrite` allows replacing existing regular files
    /// that are not inputs.
    pub fn check<'a, 'b>(
        inputs: impl IntoIterator<Item = &'a Path>,
        outputs: impl IntoIterator<Item = &'b Path>,
        overwrite: bool,
    ) -> Result<Outputs> {
        let mut ins = Vec::new();
        for path in inputs {
            let meta = fs::metadata(path).map_err(|e| read_error(path, e))?;
            if let Some(kind) = special_kind(&meta) {
                return Err(despeckle_geotiff::Error::NotRegularFile {
                    path: path.to_path_buf(),
                    kind,
                }
                .into());
            }
            let id = FileId::of(path)
                .map_err(|e| read_error(path, e))?
                .ok_or_else(|| read_error(path, io::ErrorKind::NotFound.into()))?;
            ins.push((path.to_path_buf(), id));
        }
        let mut targets: Vec<Target<'b>> = Vec::new();
        for path in outputs {
            let target = Target::of(path)?;
            check_target(path, overwrite, &ins)?;
            if let Some(other) = targets.iter().find(|t| t.same_as(&target)) {
                return Err(despeckle_geotiff::Error::OutputsCollide {
                    path: path.to_path_buf(),
                    other: other.path.to_path_buf(),
                }
                .into());
            }
            targets.push(target);
        }
        Ok(Outputs {
            inputs: ins,
            outputs: targets.iter().map(|t| t.path.to_path_buf()).collect(),
            overwrite,
        })
    }

    /// The inputs with their identities: what a [`Writer`](despeckle_geotiff::Writer) needs in
    /// [`WriterOptions::inputs`](despeckle_geotiff::WriterOptions::inputs) to re-check its
    /// target before the final rename.
    pub fn inputs(&self) -> &[(PathBuf, FileId)] {
        &self.inputs
    }

    /// The outputs, as given.
    pub fn outputs(&self) -> &[PathBuf] {
        &self.outputs
    }

    /// Whether existing regular files may be replaced.
    pub fn overwrite(&self) -> bool {
        self.overwrite
    }

    /// Starts writing `path` (one of the checked outputs) under a temporary name; nothing
    /// appears under `path` until [`PendingOutput::commit`].
    pub fn create(&self, path: &Path) -> Result<PendingOutput> {
        if !self.outputs.iter().any(|o| o == path) {
            return Err(Error::Internal {
                path: path.to_path_buf(),
                detail: "an output that was not checked with the others".into(),
            });
        }
        let (temp, file) =
            TempFile::create(path, &self.inputs).map_err(|e| write_error(path, e))?;
        Ok(PendingOutput {
            temp,
            file,
            path: path.to_path_buf(),
            overwrite: self.overwrite,
        })
    }
}

impl<'a> Target<'a> {
    fn of(path: &'a Path) -> Result<Target<'a>> {
        let name = match path.file_name() {
            Some(n) => n,
            None => {
                return Err(despeckle_geotiff::Error::OutputNotRegular {
                    path: path.to_path_buf(),
                    kind: "folder",
                }
                .into());
            }
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let missing = || despeckle_geotiff::Error::OutputDirMissing {
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
        };
        if !dir.is_dir() {
            return Err(missing().into());
        }
        let resolved = dir.canonicalize().map_err(|_| missing())?.join(name);
        let id = FileId::of(path).ok().flatten();
        Ok(Target { path, id, resolved })
    }

    fn same_as(&self, other: &Target<'_>) -> bool {
        self.resolved == other.resolved || (self.id.is_some() && self.id == other.id)
    }
}

/// An output being written under a temporary name (see [`Outputs::create`]); dropping it
/// without [`commit`](PendingOutput::commit) removes the temporary file.
#[derive(Debug)]
pub struct PendingOutput {
    temp: TempFile,
    file: File,
    path: PathBuf,
    overwrite: bool,
}

impl PendingOutput {
    /// The temporary file to write to.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An error of writing to [`file`](PendingOutput::file), as a one-line error naming the
    /// output (disk full, read-only folder, ...).
    pub fn write_error(&self, e: io::Error) -> Error {
        write_error(&self.path, e)
    }

    /// Optionally flushes the file to the disk, then renames it onto the final path after
    /// checking the target once more (never an input, never a special file).
    pub fn commit(self, sync: bool) -> Result<()> {
        let PendingOutput {
            temp,
            file,
            path,
            overwrite,
        } = self;
        if sync {
            file.sync_all().map_err(|e| write_error(&path, e))?;
        }
        drop(file);
        temp.persist(&path, overwrite)?;
        Ok(())
    }
}

/// An error met while examining the input `path`, as the GeoTIFF reader reports it.
fn read_error(path: &Path, e: io::Error) -> Error {
    despeckle_geotiff::Error::from_open_io(path, e).into()
}

/// An error met while writing `path`, as the GeoTIFF writer reports it.
fn write_error(path: &Path, e: io::Error) -> Error {
    despeckle_geotiff::Error::from_write_io(path, e).into()
}
