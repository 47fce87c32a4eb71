//! `nd-runner JOB.json OUT.json`: the Neuro-Divergent side of `cargo xtask compare`.
//! `nd-runner gemm GEMM_JOB.json OUT.json`: its GEMM timings, beside `torch.matmul`.
//!
//! Mirrors `xtask/compare/nf_runner.py` step for step, in a fresh process per job: a warm-up fit
//! of a few steps, the timed fit (one timestamp per training step), the forecast, then timed
//! predicts of the whole panel and of the first series alone, and the process's peak resident
//! memory. Exits 1 with one line on stderr when the job cannot run.

use neurodiv::data::{CsvOptions, Freq, PanelFrame};
use neurodiv::kernels::{Trans, gemm, gemm_batched};
use neurodiv::{NeuralForecast, registry};
use neurodiv_benches::compare::{GemmJob, GemmOutput, GemmTiming, Job, RunOutput};
use std::collections::BTreeMap;
use std::error::Error;
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [job, out] => run(job, out),
        [gemm, job, out] if gemm == "gemm" => run_gemm(job, out),
        _ => {
            eprintln!("usage: nd-runner JOB.json OUT.json | nd-runner gemm GEMM_JOB.json OUT.json");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("nd-runner: {e}");
        std::process::exit(1);
    }
}

fn run(job_path: &str, out_path: &str) -> Result<()> {
    let job: Job = serde_json::from_str(&std::fs::read_to_string(job_path)?)?;
    rayon::ThreadPoolBuilder::new()
        .num_threads(job.threads)
        .build_global()?;
    let freq: Freq = job.freq.parse()?;
    let train = PanelFrame::from_csv_path(&job.train_csv, &CsvOptions::default().with_freq(freq))?;

    let mut warm = NeuralForecast::new(vec![build(&job, &train, job.warmup_steps)?], freq);
    warm.fit(&train, 0)?;
    warm.predict(None)?;

    let mut nf = NeuralForecast::new(vec![build(&job, &train, job.max_steps)?], freq);
    let mut stamps = Vec::with_capacity(job.max_steps + 1);
    let started = Instant::now();
    stamps.push(started);
    nf.fit_with_progress(&train, 0, &mut |_, _| stamps.push(Instant::now()))?;
    let fit_s = started.elapsed().as_secs_f64();
    let steps_ms = stamps
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64() * 1e3)
        .collect();

    let frame = nf.predict(None)?;
    let (_, values) = frame.columns.first().ok_or("predict returned no column")?;
    let mut forecast: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (id, v) in frame.unique_id.iter().zip(values) {
        forecast.entry(id.clone()).or_default().push(f64::from(*v));
    }
    let predict_panel_ms = timed(job.predict_repeats, || nf.predict(None).map(drop))?;
    let predict_single_ms = if nf.models()[0].capabilities().multivariate {
        None
    } else {
        let first = train.filter_ids(&train.ids()[..1])?;
        Some(timed(job.predict_repeats, || {
            nf.predict_on(&first, None).map(drop)
        })?)
    };
    let out = RunOutput {
        program: "neurodiv".into(),
        version: format!("neurodiv {}", env!("CARGO_PKG_VERSION")),
        fit_s,
        steps_ms,
        predict_panel_ms,
        predict_single_ms,
        peak_rss_mb: peak_rss_mb()?,
        forecast,
    };
    std::fs::write(out_path, serde_json::to_string(&out)?)?;
    Ok(())
}

/// Times every shape of a [`GemmJob`] on every thread count: `repeats` calls after three
/// untimed ones, as `xtask/compare/torch_gemm.py` times `torch.matmul`.
fn run_gemm(job_path: &str, out_path: &str) -> Result<()> {
    let job: GemmJob = serde_json::from_str(&std::fs::read_to_string(job_path)?)?;
    let mut timings = Vec::new();
    for &threads in &job.threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        for &[batch, m, k, n] in &job.shapes {
            let mut rng = neurodiv::kernels::Rng::new(0);
            let a: Vec<f32> = (0..batch * m * k).map(|_| rng.next_f32()).collect();
            let b: Vec<f32> = (0..batch * k * n).map(|_| rng.next_f32()).collect();
            let mut c = vec![0.0f32; batch * m * n];
            let mut call = || {
                if batch == 1 {
                    gemm(Trans::N, Trans::N, m, n, k, 1.0, &a, &b, 0.0, &mut c);
                } else {
                    gemm_batched(batch, Trans::N, Trans::N, m, n, k, 1.0, &a, &b, 0.0, &mut c);
                }
            };
            let samples_ms = pool.install(|| {
                for _ in 0..3 {
                    call();
                }
                (0..job.repeats)
                    .map(|_| {
                        let t = Instant::now();
                        call();
                        t.elapsed().as_secs_f64() * 1e3
                    })
                    .collect()
            });
            timings.push(GemmTiming {
                shape: [batch, m, k, n],
                threads,
                samples_ms,
            });
        }
    }
    let out = GemmOutput {
        version: format!("neurodiv {}", env!("CARGO_PKG_VERSION")),
        timings,
    };
    std::fs::write(out_path, serde_json::to_string(&out)?)?;
    Ok(())
}

/// The job's model with `max_steps` steps; multivariate models span every series of the data.
fn build(
    job: &Job,
    train: &PanelFrame,
    max_steps: usize,
) -> Result<Box<dyn neurodiv::core::NeuralModel>> {
    let mut options: Vec<(String, String)> = job
        .overrides
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    options.push(("max_steps".into(), max_steps.to_string()));
    options.push(("random_seed".into(), job.seed.to_string()));
    Ok(registry::build_for_series(
        &job.model,
        job.h,
        job.input_size,
        &options,
        train.n_series(),
    )?)
}

/// Milliseconds of each of `repeats` calls of `f`, after one untimed call.
fn timed<E: Error + 'static>(
    repeats: usize,
    mut f: impl FnMut() -> std::result::Result<(), E>,
) -> Result<Vec<f64>> {
    f()?;
    let mut out = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t = Instant::now();
        f()?;
        out.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(out)
}

/// VmHWM of this process: the most resident memory it ever held, MiB.
fn peak_rss_mb() -> Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("/proc/self/status has no VmHWM line")?;
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .ok_or("malformed VmHWM line")?
        .parse()?;
    Ok(kib / 1024.0)
}
