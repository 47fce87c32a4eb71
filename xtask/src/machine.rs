//! What the figures were measured on: CPU, cores, compiler, commit, date, command.

use neurodiv_benches::fma_path;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The context of one bench run.
#[derive(Debug, Clone)]
pub struct MachineInfo {
    /// CPU model name from `/proc/cpuinfo` (or "unknown").
    pub cpu: String,
    /// Logical CPUs available to this process.
    pub logical_cpus: usize,
    /// The FMA path the peak probe used (`avx512f`, `avx2+fma`, `scalar`).
    pub fma_path: &'static str,
    /// `rustc --version`.
    pub rustc: String,
    /// `git rev-parse --short HEAD`, with `-dirty` when the work tree has changes.
    pub git_commit: String,
    /// UTC date and time, `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// The xtask command as typed.
    pub command: String,
    /// The cargo command it ran.
    pub cargo_command: String,
}

impl MachineInfo {
    /// Gathers the information; missing pieces read "unknown" rather than failing the run.
    pub fn gather(root: &Path, command: String, cargo_command: String) -> MachineInfo {
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let git_commit = match capture(root, "git", &["rev-parse", "--short", "HEAD"]) {
            Some(c) => {
                let dirty =
                    capture(root, "git", &["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
                if dirty { format!("{c}-dirty") } else { c }
            }
            None => "unknown".into(),
        };
        MachineInfo {
            cpu: cpu_model().unwrap_or_else(|| "unknown".into()),
            logical_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            fma_path: fma_path().name(),
            rustc: capture(root, &rustc, &["--version"]).unwrap_or_else(|| "unknown".into()),
            git_commit,
            date: utc_now(),
            command,
            cargo_command,
        }
    }

    /// A markdown bullet list.
    pub fn markdown(&self) -> String {
        format!(
            "- CPU: {} ({} logical CPUs, FMA probe: {})\n- rustc: {}\n- commit: {}\n- date: {}\n\
             - command: `{}` (ran `{}`)\n",
            self.cpu,
            self.logical_cpus,
            self.fma_path,
            self.rustc,
            self.git_commit,
            self.date,
            self.command,
            self.cargo_command
        )
    }

    /// The same as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "cpu": self.cpu,
            "logical_cpus": self.logical_cpus,
            "fma_path": self.fma_path,
            "rustc": self.rustc,
            "git_commit": self.git_commit,
            "date": self.date,
            "command": self.command,
            "cargo_command": self.cargo_command,
        })
    }
}

/// Trimmed stdout of a successful command, or `None`.
fn capture(dir: &Path, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The first `model name` line of `/proc/cpuinfo`.
fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// Now, as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
fn format_utc(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_date(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Year, month, day of the `days`-th day after 1970-01-01.
fn civil_date(days: u64) -> (u64, u64, u64) {
    // Count from 0000-03-01 so the leap day ends each 4/100/400-year cycle.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097; // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(951_868_800 - 60), "2000-02-29 23:59 UTC");
        assert_eq!(format_utc(1_709_251_200), "2024-03-01 00:00 UTC");
        assert_eq!(format_utc(4_102_444_800), "2100-01-01 00:00 UTC");
    }
}
