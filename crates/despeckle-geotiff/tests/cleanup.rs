//! `remove_unfinished_outputs` (for Ctrl-C handlers). In its own test binary: it removes the
//! temporary files of every writer of the process.

mod common;

use common::{at, list, tempdir};
use despeckle_geotiff::{OutputLayout, Writer, WriterOptions, remove_unfinished_outputs};

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
    // A cloud-optimized writer's spill files (one per level) go too.
    let mut opts = WriterOptions::new(200, 300, 1);
    opts.cog = true;
    opts.layout = OutputLayout::Tiles {
        width: 32,
        height: 32,
    };
    let mut d = Writer::create(at(&dir, "d.tif"), opts).unwrap();
    d.write_rows(0, &[1f32; 200 * 40]).unwrap();
    assert_eq!(d.overview_count(), 4);
    assert_eq!(list(dir.path()).len(), 1 + 6);
    assert_eq!(remove_unfinished_outputs(), 6);
    assert_eq!(list(dir.path()), ["c.tif"]);
    drop(d);
}
