//! The GEMM table of `cargo xtask compare`: our `gemm` beside `torch.matmul` from the same
//! environment, at the bench suite's shapes, on 1 and 2 threads.

use super::report::median;
use crate::error::XtaskError;
use crate::util::write;
use neurodiv_benches::compare::{GemmJob, GemmOutput};
use neurodiv_benches::spec::{GEMM_BATCHED, GEMM_SHAPES, GemmShape, THREADS};
use std::path::Path;
use std::process::Command;

/// The Python side, relative to the workspace root.
const TORCH_GEMM: &str = "xtask/compare/torch_gemm.py";

/// Runs both programs on the bench shapes and returns the markdown table.
pub fn table(
    python: &Path,
    runner: &Path,
    root: &Path,
    dir: &Path,
    repeats: usize,
) -> Result<String, XtaskError> {
    let (b, m, k, n) = GEMM_BATCHED;
    let mut shapes: Vec<[usize; 4]> = GEMM_SHAPES.iter().map(|&(m, k, n)| [1, m, k, n]).collect();
    shapes.push([b, m, k, n]);
    let job = GemmJob {
        shapes,
        threads: THREADS.to_vec(),
        repeats,
    };
    let job_path = dir.join("jobs/gemm.json");
    write(
        &job_path,
        &serde_json::to_string_pretty(&job).expect("jobs serialise"),
    )?;
    eprintln!("compare: GEMM against torch.matmul");
    let mut torch = Command::new(python);
    torch.arg(root.join(TORCH_GEMM));
    let theirs = run(torch, &job_path, &dir.join("runs/gemm-torch.json"))?;
    let mut ours = Command::new(runner);
    ours.arg("gemm");
    let ours = run(ours, &job_path, &dir.join("runs/gemm-neurodiv.json"))?;

    let mut out = String::from(
        "| shape (M,K,N) | threads | neurodiv ms | torch.matmul ms | neurodiv GFLOP/s | torch GFLOP/s | torch time / ours |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for t in &ours.timings {
        let Some(u) = theirs
            .timings
            .iter()
            .find(|u| u.shape == t.shape && u.threads == t.threads)
        else {
            continue;
        };
        let [batch, m, k, n] = t.shape;
        let flops = GemmShape { batch, m, k, n }.flops() as f64;
        let (a, b) = (median(t.samples_ms.clone()), median(u.samples_ms.clone()));
        out += &format!(
            "| {} | {} | {a:.4} | {b:.4} | {:.1} | {:.1} | {:.2} |\n",
            GemmShape { batch, m, k, n },
            t.threads,
            flops / a / 1e6,
            flops / b / 1e6,
            b / a
        );
    }
    out += &format!(
        "\nMedian of {repeats} calls after three untimed ones, operands preallocated \
         (`torch.matmul(a, b, out=c)`); {}.\n",
        theirs.version
    );
    Ok(out)
}

fn run(mut command: Command, job: &Path, out: &Path) -> Result<GemmOutput, XtaskError> {
    let line = format!("{command:?}");
    let result = command
        .arg(job)
        .arg(out)
        .output()
        .map_err(|source| XtaskError::Spawn {
            command: line.clone(),
            source,
        })?;
    if !result.status.success() {
        return Err(XtaskError::CommandFailed {
            command: format!("{line}: {}", String::from_utf8_lossy(&result.stderr).trim()),
            status: result.status,
        });
    }
    let text = std::fs::read_to_string(out).map_err(|e| XtaskError::io(out, e))?;
    serde_json::from_str(&text).map_err(|e| XtaskError::Malformed {
        path: out.to_path_buf(),
        message: e.to_string(),
    })
}
