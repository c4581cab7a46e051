//! Encoding of one strip or tile for writing: floating-point predictor, then compression.

use std::io::{self, Write};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tiff::encoder::compression::{CompressionAlgorithm, Lzw, Packbits};

use crate::info::Compression;

/// Compression of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutputCompression {
    /// No compression: the fastest to write and read.
    #[default]
    None,
    /// LZW (the `tiff` crate's encoder).
    Lzw,
    /// Deflate (zlib format; compressed with libdeflate, as GDAL does) at a level from 1 (fast)
    /// to 9 (small); GDAL's default level is 6.
    Deflate {
        /// Compression level, 1–9.
        level: u32,
    },
    /// Zstandard at a level from 1 to 22; GDAL's default level is 9.
    Zstd {
        /// Compression level, 1–22.
        level: i32,
    },
    /// PackBits run-length encoding (each row packed separately, as TIFF requires).
    PackBits,
}

impl OutputCompression {
    /// The matching [`Compression`] as reported by a reader.
    pub fn kind(self) -> Compression {
        match self {
            OutputCompression::None => Compression::None,
            OutputCompression::Lzw => Compression::Lzw,
            OutputCompression::Deflate { .. } => Compression::Deflate,
            OutputCompression::Zstd { .. } => Compression::Zstd,
            OutputCompression::PackBits => Compression::PackBits,
        }
    }

    pub(crate) fn validate(self) -> Result<(), String> {
        match self {
            OutputCompression::Deflate { level } if !(1..=9).contains(&level) => {
                Err(format!("Deflate level {level} is not in 1..=9"))
            }
            OutputCompression::Zstd { level } if !(1..=22).contains(&level) => {
                Err(format!("ZSTD level {level} is not in 1..=22"))
            }
            _ => Ok(()),
        }
    }
}

/// Turns raw chunks (little-endian samples, rows of `row_bytes`) into the bytes stored in the
/// file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkCodec {
    pub compression: OutputCompression,
    /// Apply TIFF predictor 3 (floating point).
    pub float_predictor: bool,
    /// Bytes per sample.
    pub sample_bytes: usize,
    /// Samples per pixel in a chunk.
    pub spp: usize,
    /// Bytes per row of a chunk.
    pub row_bytes: usize,
}

impl ChunkCodec {
    /// Whether chunks are stored as they are (no predictor, no compression).
    pub(crate) fn is_raw(&self) -> bool {
        self.compression == OutputCompression::None
    }
}

/// The per-thread state of encoding: the codec, a reusable Deflate compressor (libdeflate)
/// and the predictor's row buffer.
pub(crate) struct ChunkEncoder {
    codec: ChunkCodec,
    deflate: Option<libdeflater::Compressor>,
    tmp: Vec<u8>,
}

impl ChunkEncoder {
    pub(crate) fn new(codec: ChunkCodec) -> ChunkEncoder {
        let deflate = match codec.compression {
            // Levels 1-9 mean what they mean to GDAL built with libdeflate (its default).
            OutputCompression::Deflate { level } => Some(libdeflater::Compressor::new(
                libdeflater::CompressionLvl::new(level as i32)
                    .unwrap_or_else(|_| libdeflater::CompressionLvl::default()),
            )),
            _ => None,
        };
        ChunkEncoder {
            codec,
            deflate,
            tmp: Vec::new(),
        }
    }

    /// Encodes `raw` (modified in place by the predictor) into `out` (cleared first).
    pub(crate) fn encode(&mut self, raw: &mut [u8], out: &mut Vec<u8>) -> io::Result<()> {
        let c = self.codec;
        out.clear();
        if c.float_predictor {
            self.tmp.resize(c.row_bytes, 0);
            for row in raw.chunks_exact_mut(c.row_bytes) {
                float_predict(row, &mut self.tmp, c.sample_bytes, c.spp);
            }
        }
        match c.compression {
            OutputCompression::None => out.extend_from_slice(raw),
            OutputCompression::Lzw => {
                Lzw.write_to(out, raw)?;
            }
            OutputCompression::Deflate { .. } => {
                let z = self.deflate.as_mut().expect("a Deflate compressor");
                out.resize(z.zlib_compress_bound(raw.len()), 0);
                let n = z.zlib_compress(raw, out).map_err(io::Error::other)?;
                out.truncate(n);
            }
            OutputCompression::Zstd { level } => {
                let mut z = zstd::stream::Encoder::new(out, level)?;
                z.write_all(raw)?;
                z.finish()?;
            }
            OutputCompression::PackBits => {
                for row in raw.chunks_exact(c.row_bytes) {
                    Packbits.write_to(out, row)?;
                }
            }
        }
        Ok(())
    }
}

/// A chunk handed to the encoding threads.
struct Job {
    seq: u64,
    index: usize,
    raw: Vec<u8>,
    out: Vec<u8>,
}

/// An encoded chunk: its raw buffer comes back for reuse.
pub(crate) struct Done {
    pub seq: u64,
    pub index: usize,
    pub raw: Vec<u8>,
    pub out: io::Result<Vec<u8>>,
}

/// Threads that encode chunks in parallel, in any order; the writer puts the results back in
/// order ([`Done::seq`]).
pub(crate) struct EncoderPool {
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    threads: Vec<JoinHandle<()>>,
    next_seq: u64,
}

impl std::fmt::Debug for EncoderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncoderPool")
            .field("threads", &self.threads.len())
            .finish_non_exhaustive()
    }
}

impl EncoderPool {
    pub(crate) fn new(codec: ChunkCodec, threads: usize) -> io::Result<EncoderPool> {
        let (jobs, job_rx) = channel::<Job>();
        let (done_tx, done) = channel::<Done>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let mut handles = Vec::new();
        for k in 0..threads.max(1) {
            let rx = Arc::clone(&job_rx);
            let tx = done_tx.clone();
            let h = std::thread::Builder::new()
                .name(format!("despeckle-encode-{k}"))
                .spawn(move || {
                    let mut enc = ChunkEncoder::new(codec);
                    loop {
                        // The lock is held only to take one job.
                        let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok(Job {
                            seq,
                            index,
                            mut raw,
                            mut out,
                        }) = job
                        else {
                            return; // the writer is done
                        };
                        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            enc.encode(&mut raw, &mut out)
                        }))
                        .unwrap_or_else(|_| Err(io::Error::other("compression panicked")));
                        let out = result.map(|()| out);
                        if tx
                            .send(Done {
                                seq,
                                index,
                                raw,
                                out,
                            })
                            .is_err()
                        {
                            return;
                        }
                    }
                })?;
            handles.push(h);
        }
        Ok(EncoderPool {
            jobs: Some(jobs),
            done,
            threads: handles,
            next_seq: 0,
        })
    }

    /// Queues chunk `index` for encoding (into `out`, a recycled buffer); returns its sequence
    /// number.
    pub(crate) fn submit(&mut self, index: usize, raw: Vec<u8>, out: Vec<u8>) -> io::Result<u64> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.jobs
            .as_ref()
            .and_then(|j| {
                j.send(Job {
                    seq,
                    index,
                    raw,
                    out,
                })
                .ok()
            })
            .ok_or_else(|| io::Error::other("the compression threads stopped"))?;
        Ok(seq)
    }

    /// A finished chunk: waits for one if `block`, else `None` when none is ready.
    pub(crate) fn next_done(&mut self, block: bool) -> io::Result<Option<Done>> {
        if block {
            self.done
                .recv()
                .map(Some)
                .map_err(|_| io::Error::other("the compression threads stopped"))
        } else {
            match self.done.try_recv() {
                Ok(d) => Ok(Some(d)),
                Err(TryRecvError::Empty) => Ok(None),
                Err(TryRecvError::Disconnected) => {
                    Err(io::Error::other("the compression threads stopped"))
                }
            }
        }
    }
}

impl Drop for EncoderPool {
    fn drop(&mut self) {
        // Closing the queue stops the threads once they finish their current chunk.
        self.jobs = None;
        for h in self.threads.drain(..) {
            let _ = h.join();
        }
    }
}

/// TIFF predictor 3 on one row of little-endian samples: the bytes are regrouped by
/// significance (most significant byte of every sample first), then each byte is replaced by its
/// difference with the byte `spp` places before it.
fn float_predict(row: &mut [u8], tmp: &mut [u8], sample_bytes: usize, spp: usize) {
    let n = row.len() / sample_bytes;
    for (i, s) in row.chunks_exact(sample_bytes).enumerate() {
        for k in 0..sample_bytes {
            tmp[k * n + i] = s[sample_bytes - 1 - k];
        }
    }
    for j in (spp..row.len()).rev() {
        tmp[j] = tmp[j].wrapping_sub(tmp[j - spp]);
    }
    row.copy_from_slice(&tmp[..row.len()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Undoes `float_predict` the way a reader does.
    fn undo(row: &mut [u8], sample_bytes: usize, spp: usize) {
        for j in spp..row.len() {
            row[j] = row[j].wrapping_add(row[j - spp]);
        }
        let n = row.len() / sample_bytes;
        let planes = row.to_vec();
        for i in 0..n {
            for k in 0..sample_bytes {
                row[i * sample_bytes + sample_bytes - 1 - k] = planes[k * n + i];
            }
        }
    }

    #[test]
    fn float_predictor_inverts() {
        let vals = [1.5f32, -2.25, 3.0e7, 0.0, f32::NAN, 7.0];
        let raw: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        for spp in [1, 2, 3] {
            let mut row = raw.clone();
            let mut tmp = vec![0u8; row.len()];
            float_predict(&mut row, &mut tmp, 4, spp);
            assert_ne!(row, raw);
            undo(&mut row, 4, spp);
            assert_eq!(row, raw);
        }
    }

    #[test]
    fn levels_are_checked() {
        assert!(OutputCompression::Deflate { level: 0 }.validate().is_err());
        assert!(OutputCompression::Zstd { level: 23 }.validate().is_err());
        assert!(OutputCompression::Zstd { level: 9 }.validate().is_ok());
    }
}
