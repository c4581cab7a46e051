//! Output safety (`despeckle_file::outputs`): no output ever resolves to an input, a special
//! file or another output, however the paths are spelled; stale temporary files of dead
//! processes are removed, those of live processes kept.

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use despeckle_file::outputs::Outputs;
use despeckle_file::{FileOptions, filter_file};

use crate::common;
use common::files;

fn small_tif(path: &Path) {
    let mut w =
        despeckle_geotiff::Writer::create(path, despeckle_geotiff::WriterOptions::new(16, 12, 1))
            .unwrap();
    let data: Vec<f32> = (0..16 * 12).map(|i| 1.0 + (i % 7) as f32).collect();
    w.write_rows(0, &data).unwrap();
    w.finish().unwrap();
}

/// A folder with `in.tif`, a sub-folder, a symbolic link to the input, a hard link to it and
/// a symbolic link to the folder itself.
fn layout() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let input = d.join("in.tif");
    small_tif(&input);
    std::fs::create_dir(d.join("sub")).unwrap();
    symlink(&input, d.join("link.tif")).unwrap();
    std::fs::hard_link(&input, d.join("hard.tif")).unwrap();
    symlink(&d, d.join("self")).unwrap();
    (dir, input)
}

/// Every spelling of the input, as an output or a quick-look, is refused with or without
/// overwriting, and nothing is written.
#[test]
fn no_spelling_of_an_input_is_an_output() {
    let (dir, input) = layout();
    let d = dir.path();
    let original = std::fs::read(&input).unwrap();
    let before = files(d);
    let spellings = [
        d.join("in.tif"),
        d.join("./in.tif"),
        d.join("sub/../in.tif"),
        d.join("link.tif"),
        d.join("hard.tif"),
        d.join("self/in.tif"),
        d.join("self/sub/../hard.tif"),
    ];
    let mean = despeckle::Mean;
    for s in &spellings {
        for overwrite in [false, true] {
            let e = Outputs::check([input.as_path()], [s.as_path()], overwrite).unwrap_err();
            assert!(
                e.to_string().contains("the output is the input"),
                "{s:?}: {e}"
            );
            let mut o = FileOptions::new(3);
            o.overwrite = overwrite;
            let e = filter_file(&input, s, &mean, &o).unwrap_err();
            assert!(
                e.to_string().contains("the output is the input"),
                "{s:?}: {e}"
            );
            o.quicklook = Some(s.clone());
            let e = filter_file(&input, d.join("out.tif"), &mean, &o).unwrap_err();
            assert!(
                e.to_string().contains("the output is the input"),
                "{s:?}: {e}"
            );
            assert!(!e.to_string().contains('\n'));
        }
    }
    assert_eq!(std::fs::read(&input).unwrap(), original, "input untouched");
    assert_eq!(files(d), before, "nothing written");
}

/// Two outputs of one command never resolve to each other, existing or not, whatever the
/// spelling (a new file under a symbolic link to its folder included).
#[test]
fn outputs_never_collide() {
    let (dir, input) = layout();
    let d = dir.path();
    std::fs::write(d.join("old.tif"), "old").unwrap();
    std::fs::hard_link(d.join("old.tif"), d.join("old2.tif")).unwrap();
    let pairs = [
        (d.join("new.tif"), d.join("./new.tif")),
        (d.join("new.tif"), d.join("self/new.tif")),
        (d.join("sub/new.tif"), d.join("self/sub/../sub/new.tif")),
        (d.join("old.tif"), d.join("old2.tif")),
    ];
    for (a, b) in &pairs {
        let e = Outputs::check([input.as_path()], [a.as_path(), b.as_path()], true).unwrap_err();
        assert!(
            e.to_string().contains("the same file as the output"),
            "{a:?} {b:?}: {e}"
        );
    }
    let ok = Outputs::check(
        [input.as_path()],
        [d.join("a.tif").as_path(), d.join("sub/a.tif").as_path()],
        false,
    )
    .unwrap();
    assert_eq!(ok.outputs().len(), 2);
    // An existing regular file that is no input: only with overwriting.
    let e = Outputs::check([input.as_path()], [d.join("old.tif").as_path()], false).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    Outputs::check([input.as_path()], [d.join("old.tif").as_path()], true).unwrap();
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success(), "mkfifo");
}

/// Folders, FIFOs and devices are never outputs (not even with overwriting) and never
/// inputs; a FIFO input is refused at once instead of blocking.
#[test]
fn special_files_are_refused() {
    let (dir, input) = layout();
    let d = dir.path();
    let fifo = d.join("pipe");
    mkfifo(&fifo);
    for (target, kind) in [
        (fifo.as_path(), "FIFO"),
        (Path::new("/dev/null"), "character device"),
        (d.join("sub").as_path(), "folder"),
    ] {
        for overwrite in [false, true] {
            let e = Outputs::check([input.as_path()], [target], overwrite).unwrap_err();
            assert!(e.to_string().contains(kind), "{target:?}: {e}");
            let mut o = FileOptions::new(3);
            o.overwrite = overwrite;
            let e = filter_file(&input, target, &despeckle::Mean, &o).unwrap_err();
            assert!(
                e.to_string().contains("not a regular file"),
                "{target:?}: {e}"
            );
        }
    }
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );

    // Inputs: the FIFO (no writer ever comes: this would block forever if opened plainly),
    // a device and a folder.
    for (src, kind) in [
        (fifo.as_path(), "FIFO"),
        (Path::new("/dev/zero"), "character device"),
        (d, "folder"),
    ] {
        let e = despeckle_file::Reader::open(src).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: is a {kind}{}",
                src.display(),
                if kind == "FIFO" {
                    " (named pipe), not a regular file"
                } else {
                    ", not a regular file"
                }
            )
        );
        let e = filter_file(
            src,
            d.join("out.tif"),
            &despeckle::Mean,
            &FileOptions::new(3),
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
    assert_eq!(
        files(d),
        ["hard.tif", "in.tif", "link.tif", "pipe", "self", "sub"]
    );
}

/// A process id that ran and has exited (ids are not reused that soon).
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Temporary files of the same output name left by dead processes are removed when the
/// output is written again; those of live processes, of other names or of other shapes stay.
#[test]
fn stale_temporary_files_of_dead_processes_are_removed() {
    let (dir, input) = layout();
    let d = dir.path();
    let dead = dead_pid();
    let mut live = Command::new("sleep").arg("60").spawn().unwrap();
    let keep = [
        format!(".out.tif.tmp-{}", live.id()),
        format!(".out.tif.tmp-{}-3", live.id()),
        format!(".other.tif.tmp-{dead}"),
        format!(".out.tif.tmp-{dead}.bak"),
        format!(".out.tif.tmp-{dead}-x"),
        format!("out.tif.tmp-{dead}"),
    ];
    let stale = [
        format!(".out.tif.tmp-{dead}"),
        format!(".out.tif.tmp-{dead}-2"),
    ];
    for name in keep.iter().chain(&stale) {
        std::fs::File::create(d.join(name))
            .unwrap()
            .write_all(b"partial")
            .unwrap();
    }
    filter_file(
        &input,
        d.join("out.tif"),
        &despeckle::Mean,
        &FileOptions::new(3),
    )
    .unwrap();
    let now = files(d);
    for name in &keep {
        assert!(now.contains(name), "{name} removed: {now:?}");
    }
    for name in &stale {
        assert!(!now.contains(name), "{name} left: {now:?}");
    }
    assert!(now.contains(&"out.tif".to_string()));
    live.kill().unwrap();
    live.wait().unwrap();
}

/// `Outputs::create`: nothing appears before `commit`; dropping removes the temporary file.
#[test]
fn pending_outputs_are_all_or_nothing() {
    let (dir, input) = layout();
    let d = dir.path();
    let report = d.join("report.html");
    let outputs = Outputs::check([input.as_path()], [report.as_path()], false).unwrap();
    let before = files(d);
    {
        let mut p = outputs.create(&report).unwrap();
        p.file().write_all(b"half").unwrap();
        assert!(!report.exists());
    }
    assert_eq!(files(d), before, "dropped: no file left");
    let mut p = outputs.create(&report).unwrap();
    p.file().write_all(b"<html></html>").unwrap();
    p.commit(false).unwrap();
    assert_eq!(std::fs::read(&report).unwrap(), b"<html></html>");
    // An output that was not checked is refused.
    assert!(outputs.create(&d.join("other.html")).is_err());
}
