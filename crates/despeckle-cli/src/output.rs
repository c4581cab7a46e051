//! Output files written whole or not at all: a temporary file in the target folder, renamed
//! onto the target when complete, removed on any error.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use despeckle_file::outputs::Outputs;

/// Writes `path` through `write`, atomically, with the checks of every output
/// ([`Outputs::check`]: never one of the command's `inputs`, however spelled, nor a special
/// file; an existing file is replaced only if `overwrite` is set).
pub fn write_atomic(
    path: &Path,
    inputs: &[&Path],
    overwrite: bool,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> Result<()>,
) -> Result<()> {
    let outputs = Outputs::check(inputs.iter().copied(), [path], overwrite)?;
    let mut pending = outputs.create(path)?;
    let mut w = BufWriter::new(pending.file());
    write(&mut w)?;
    let flushed = w.flush();
    drop(w);
    flushed.map_err(|e| pending.write_error(e))?;
    pending.commit(true)?;
    Ok(())
}

/// Creates a folder (and its parents) for output files.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create folder", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::bail;

    #[test]
    fn failed_writes_leave_nothing() {
        let dir = std::env::temp_dir().join(format!("despeckle-out-{}", std::process::id()));
        ensure_dir(&dir).unwrap();
        let target = dir.join("a.bin");
        let err = write_atomic(&target, &[], false, |w| {
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
        write_atomic(&target, &[], false, |w| Ok(w.write_all(b"ok")?)).unwrap();
        assert!(
            write_atomic(&target, &[], false, |_| Ok(())).is_err(),
            "existing file refused"
        );
        write_atomic(&target, &[], true, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
