//! `remove_unfinished_outputs` (for Ctrl-C handlers). In its own test binary: it removes the
//! temporary files of every writer of the process.

mod common;

use common::{at, list, tempdir};
use despeckle_geotiff::{Writer, WriterOptions, remove_unfinished_outputs};

#[test]
fn ctrl_c_cleanup_removes_temporary_files() {
    let dir = tempdir();
    let a = Writer::create(at(&dir, "a.tif"), WriterOptions::new(8, 8, 1)).unwrap();
    let mut b = Writer::create(at(&dir, "b.tif"), WriterOptions::new(8, 8, 1)).unwrap();
    b.write_rows(0, &[0f32; 64]).unwrap();
    assert_eq!(list(dir.path()).len(), 2);
    assert_eq!(remove_unfinished_outputs(), 2);
    assert!(list(dir.path()).is_empty());
    // Dropping afterwards is harmless; a finished writer is no longer listed.
    drop(a);
    drop(b);
    let mut c = Writer::create(at(&dir, "c.tif"), WriterOptions::new(8, 8, 1)).unwrap();
    c.write_rows(0, &[0f32; 64]).unwrap();
    c.finish().unwrap();
    assert_eq!(remove_unfinished_outputs(), 0);
    assert_eq!(list(dir.path()), ["c.tif"]);
}
