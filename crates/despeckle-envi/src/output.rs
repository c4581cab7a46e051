//! Output files written as a set: each under a temporary name beside its target, all renamed
//! into place at the end, nothing left on error (the GeoTIFF writer's [`TempFile`] and target
//! checks: never over an input, a folder, a FIFO or a device).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use despeckle_geotiff::temp::{FileId, TempFile, check_target};

use crate::error::{Error, Result};

/// How outputs are written.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// Replace existing regular files (refused otherwise).
    pub overwrite: bool,
    /// The files the command reads, never to be replaced by an output (compared by device
    /// and inode: any spelling, symbolic or hard link), e.g. `Outputs::inputs()` of the
    /// `despeckle-file` crate.
    pub inputs: Vec<(PathBuf, FileId)>,
    /// Flush every file to the disk before the renames.
    pub sync: bool,
}

#[derive(Debug)]
struct Pending {
    temp: TempFile,
    file: BufWriter<File>,
    path: PathBuf,
}

/// Files being written under temporary names, renamed together by [`FileSet::commit`];
/// dropping the set removes every temporary file.
#[derive(Debug)]
pub(crate) struct FileSet {
    files: Vec<Pending>,
    opts: OutputOptions,
}

impl FileSet {
    pub(crate) fn new(opts: &OutputOptions) -> FileSet {
        FileSet {
            files: Vec::new(),
            opts: opts.clone(),
        }
    }

    /// Starts the output `path` (checked first: never an input, a special file, or an
    /// existing file without `overwrite`; never twice in the set) and returns its index.
    pub(crate) fn create(&mut self, path: &Path) -> Result<usize> {
        check_target(path, self.opts.overwrite, &self.opts.inputs)?;
        if self.files.iter().any(|p| p.path == path) {
            return Err(despeckle_geotiff::Error::OutputsCollide {
                path: path.to_path_buf(),
                other: path.to_path_buf(),
            }
            .into());
        }
        let (temp, file) =
            TempFile::create(path, &self.opts.inputs).map_err(|e| Error::write_io(path, e))?;
        self.files.push(Pending {
            temp,
            file: BufWriter::with_capacity(1 << 18, file),
            path: path.to_path_buf(),
        });
        Ok(self.files.len() - 1)
    }

    /// Appends `bytes` to file `i`.
    pub(crate) fn write(&mut self, i: usize, bytes: &[u8]) -> Result<()> {
        let p = &mut self.files[i];
        p.file
            .write_all(bytes)
            .map_err(|e| Error::write_io(&p.path, e))
    }

    /// Flushes every file, checks every target again, then renames each into place. If a
    /// rename fails, the files of the set already renamed are removed again when they did
    /// not exist before (without `overwrite` none did); replaced files cannot be restored.
    pub(crate) fn commit(self) -> Result<()> {
        let FileSet { files, opts } = self;
        let mut ready = Vec::with_capacity(files.len());
        for Pending { temp, file, path } in files {
            let file = file
                .into_inner()
                .map_err(|e| Error::write_io(&path, e.into_error()))?;
            if opts.sync {
                file.sync_all().map_err(|e| Error::write_io(&path, e))?;
            }
            drop(file);
            check_target(&path, opts.overwrite, &opts.inputs)?;
            let existed = path.exists();
            ready.push((temp, path, existed));
        }
        let mut done: Vec<(PathBuf, bool)> = Vec::new();
        let mut iter = ready.into_iter();
        for (temp, path, existed) in iter.by_ref() {
            if let Err(e) = temp.persist(&path, opts.overwrite) {
                for (p, existed) in &done {
                    if !existed {
                        let _ = fs::remove_file(p);
                    }
                }
                // the remaining temporary files are removed as `iter` drops
                return Err(e.into());
            }
            done.push((path, existed));
        }
        Ok(())
    }
}
