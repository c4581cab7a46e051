//! Output files written whole or not at all: a temporary file in the target folder, renamed
//! onto the target when complete, removed on any error.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Writes `path` through `write`, atomically. An existing file is replaced only if
/// `overwrite` is set.
pub fn write_atomic(
    path: &Path,
    overwrite: bool,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    if path.exists() && !overwrite {
        bail!(
            "{}: already exists (use --overwrite to replace it)",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file =
            File::create(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("{}: cannot rename into place", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("{}: not written", path.display()))
}

/// Creates a folder (and its parents) for output files.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create folder", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn failed_writes_leave_nothing() {
        let dir = std::env::temp_dir().join(format!("despeckle-out-{}", std::process::id()));
        ensure_dir(&dir).unwrap();
        let target = dir.join("a.bin");
        let err = write_atomic(&target, false, |w| {
            w.write_all(b"partial")?;
            bail!("disk full")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk full"));
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "no partial or temporary file"
        );
        write_atomic(&target, false, |w| Ok(w.write_all(b"ok")?)).unwrap();
        assert!(
            write_atomic(&target, false, |_| Ok(())).is_err(),
            "existing file refused"
        );
        write_atomic(&target, true, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
