//! Resident memory of this process, from `/proc/self/status` (Linux).

/// A `kB` field of `/proc/self/status`, in bytes (`None` where unavailable).
fn status_bytes(key: &str) -> Option<u64> {
    despeckle::budget::proc_kib_field("/proc/self/status", key).map(|b| b as u64)
}

/// Current resident set size.
pub fn rss() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// Peak resident set size since start or since [`reset_peak`].
pub fn peak_rss() -> Option<u64> {
    status_bytes("VmHWM:")
}

/// Resets the peak RSS to the current RSS (Linux ≥ 4.0); returns whether it worked.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
