//! The GEMM table of `cargo xtask compare`: our `gemm` beside `torch.matmul` from the same
//! environment, at the bench suite's shapes, on 1 and 2 threads.

use super::report::{PROGRAMS, median};
use super::{Programs, run_one};
use crate::error::XtaskError;
use crate::util::write;
use neurodiv_benches::compare::{GemmJob, GemmOutput};
use neurodiv_benches::spec::{GEMM_BATCHED, GEMM_SHAPES, GemmShape, THREADS};

/// The Python side, relative to the workspace root.
const TORCH_GEMM: &str = "xtask/compare/torch_gemm.py";

/// Runs both programs on the bench shapes and returns the markdown table.
pub fn table(programs: &Programs, repeats: usize) -> Result<String, XtaskError> {
    let (b, m, k, n) = GEMM_BATCHED;
    let mut shapes: Vec<[usize; 4]> = GEMM_SHAPES.iter().map(|&(m, k, n)| [1, m, k, n]).collect();
    shapes.push([b, m, k, n]);
    let job = GemmJob {
        shapes,
        threads: THREADS.to_vec(),
        repeats,
    };
    let job_path = programs.dir.join("jobs/gemm.json");
    write(
        &job_path,
        &serde_json::to_string_pretty(&job).expect("jobs serialise"),
    )?;
    eprintln!("compare: GEMM against torch.matmul");
    let threads = THREADS.iter().copied().max().unwrap_or(1);
    let run = |program: &str| -> Result<GemmOutput, XtaskError> {
        let mut command = programs.command(program, TORCH_GEMM);
        if program == PROGRAMS[0] {
            command.arg("gemm");
        }
        let out = programs.dir.join(format!("runs/gemm-{program}.json"));
        run_one(command, &job_path, &out, threads)
            .map_err(|e| XtaskError::Python(format!("GEMM timings of {program}: {e}")))
    };
    let theirs = run(PROGRAMS[1])?;
    let ours = run(PROGRAMS[0])?;

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
