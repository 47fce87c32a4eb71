//! `cargo xtask compare`: Neuro-Divergent and Python NeuralForecast side by side, in one run.
//!
//! For every workload, configuration and model it runs both programs `--repeats` times,
//! alternating which goes first, each run a fresh process (`nd-runner` or
//! `xtask/compare/nf_runner.py`) reading the same job file and training file. The figures are
//! summarised by [`report`]; the summary goes to `target/compare/summary.md`, and, unless
//! `--quick`, into `docs/performance.md` with the raw results in `docs/compare-results.json`.

mod args;
mod gemm;
mod report;
mod venv;
mod workloads;

pub use args::{CompareArgs, CompareCli};

use crate::error::XtaskError;
use crate::machine::MachineInfo;
use crate::util::{build_release, replace_section, target_dir, workspace_root, write};
use neurodiv_benches::compare::{Job, RunOutput};
use report::{Cell, PROGRAMS};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use workloads::Config;
use workloads::Workload;

/// Seed of every model in the comparison.
const SEED: u64 = 1;
/// Training steps of the warm-up fit each process runs before the timed one.
const WARMUP_STEPS: usize = 5;
/// The Rust runner's package and binary.
const RUNNER_PACKAGE: &str = "neurodiv-compare-runner";
const RUNNER_BIN: &str = "nd-runner";
/// The Python runner, relative to the workspace root.
const NF_RUNNER: &str = "xtask/compare/nf_runner.py";
/// Name of the generated section of `docs/performance.md`.
const SECTION: &str = "compare";

/// Runs the comparison and writes its report.
pub fn run(args: &CompareArgs) -> Result<(), XtaskError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = workspace_root();
    let target = target_dir(&cargo, &root)?;
    let dir = target.join("compare");
    let python = venv::ensure(&root, &dir)?;
    let (runner, build_line) = build_release(&cargo, &root, &target, RUNNER_PACKAGE, RUNNER_BIN)?;
    let data_dir = dir.join("data");
    std::fs::create_dir_all(&data_dir).map_err(|e| XtaskError::io(&data_dir, e))?;
    let loads: Vec<Workload> = args
        .workloads
        .iter()
        .map(|w| workloads::workload(w, &root, &data_dir))
        .collect::<Result<_, _>>()?;

    let programs = Programs {
        root: root.clone(),
        dir: dir.clone(),
        python,
        runner,
    };
    let total = loads.len() * args.configs.len() * args.models.len();
    let mut cells = Vec::with_capacity(total);
    let mut raw_runs = Vec::new();
    let mut versions = BTreeMap::new();
    for w in &loads {
        for &config in &args.configs {
            for model in &args.models {
                eprintln!(
                    "compare [{}/{total}] {model} on {} ({}): {} runs of each program",
                    cells.len() + 1,
                    w.name,
                    config.name(),
                    args.repeats
                );
                let cell =
                    programs.run_cell(args, w, config, model, &mut versions, &mut raw_runs)?;
                if let (Some(a), Some(b)) =
                    (cell.figures.get(PROGRAMS[0]), cell.figures.get(PROGRAMS[1]))
                {
                    eprintln!(
                        "compare:   step {:.2} ms vs {:.2} ms ({:.1}x faster), MAE {:.2} vs {:.2}",
                        a.step_ms,
                        b.step_ms,
                        b.step_ms / a.step_ms,
                        a.mae,
                        b.mae
                    );
                }
                cells.push(cell);
            }
        }
    }

    let gemm_repeats = if args.quick { 10 } else { 50 };
    let gemm_table = gemm::table(&programs, gemm_repeats)?;
    let machine = MachineInfo::gather(&root, args.command_line(), build_line);
    let mut body = report_markdown(args, &machine, &versions, &loads, &cells);
    body += "### GEMM beside torch.matmul (same machine, same run)\n\n";
    body += &gemm_table;
    println!("\n{body}");
    write(&dir.join("summary.md"), &body)?;
    let results = json!({
        "machine": machine.to_json(),
        "versions": versions,
        "settings": settings_json(args),
        "cells": cells,
        "runs": raw_runs,
    });
    let text = serde_json::to_string_pretty(&results).expect("results serialise");
    write(&dir.join("results.json"), &text)?;
    if args.quick {
        eprintln!(
            "compare: --quick: wrote {} only (docs/performance.md is left as it is)",
            dir.join("summary.md").display()
        );
    } else {
        replace_section(&root.join("docs/performance.md"), SECTION, &body)?;
        write(&root.join("docs/compare-results.json"), &text)?;
        eprintln!("compare: wrote docs/performance.md and docs/compare-results.json");
    }
    Ok(())
}

/// Where the two programs and the run's files are.
struct Programs {
    root: PathBuf,
    dir: PathBuf,
    python: PathBuf,
    runner: PathBuf,
}

impl Programs {
    /// The command that starts `program` (`neurodiv` or `neuralforecast`), or the Python
    /// interpreter running `script` for the latter.
    fn command(&self, program: &str, script: &str) -> Command {
        match program {
            "neurodiv" => Command::new(&self.runner),
            _ => {
                let mut c = Command::new(&self.python);
                c.arg(self.root.join(script));
                c
            }
        }
    }

    /// Runs one model on one workload and configuration `args.repeats` times in each program,
    /// alternating which goes first, and summarises the runs.
    fn run_cell(
        &self,
        args: &CompareArgs,
        w: &Workload,
        config: Config,
        model: &str,
        versions: &mut BTreeMap<&'static str, String>,
        raw_runs: &mut Vec<Value>,
    ) -> Result<Cell, XtaskError> {
        let job = Job {
            model: model.to_string(),
            h: w.h,
            input_size: w.input_size,
            max_steps: args.steps,
            warmup_steps: WARMUP_STEPS,
            seed: SEED,
            threads: args.threads,
            freq: w.freq.into(),
            train_csv: w.train_csv.display().to_string(),
            overrides: config.overrides(model),
            predict_repeats: args.predict_repeats(),
        };
        let name = format!("{}-{}-{model}", w.name, config.name());
        let job_path = self.dir.join("jobs").join(format!("{name}.json"));
        write(
            &job_path,
            &serde_json::to_string_pretty(&job).expect("jobs serialise"),
        )?;
        let mut cell = Cell {
            workload: w.name.into(),
            config: config.name().into(),
            model: model.to_string(),
            ..Cell::default()
        };
        let mut runs: BTreeMap<&str, Vec<RunOutput>> = BTreeMap::new();
        for repeat in 0..args.repeats {
            let mut order = PROGRAMS;
            if repeat % 2 == 1 {
                order.reverse();
            }
            for program in order {
                if cell.errors.contains_key(program) {
                    continue;
                }
                let out_path = self
                    .dir
                    .join("runs")
                    .join(format!("{name}-{program}-{repeat}.json"));
                let command = self.command(program, NF_RUNNER);
                match run_one::<RunOutput>(command, &job_path, &out_path, args.threads) {
                    Ok(out) => {
                        versions.insert(program, out.version.clone());
                        raw_runs.push(raw_run(&cell, program, repeat, &out, w));
                        runs.entry(program).or_default().push(out);
                    }
                    Err(e) => {
                        eprintln!("compare:   {program} failed: {e}");
                        cell.errors.insert(program.into(), e);
                    }
                }
            }
        }
        for (program, outs) in &runs {
            match report::figures(outs, w) {
                Ok(f) => {
                    cell.figures.insert(program.to_string(), f);
                }
                Err(e) => {
                    cell.errors.insert(program.to_string(), e);
                }
            }
        }
        Ok(cell)
    }
}

/// Runs one job file in a fresh process with the thread count pinned and reads the output file
/// it writes; `Err` holds the reason.
fn run_one<T: serde::de::DeserializeOwned>(
    mut command: Command,
    job: &Path,
    out: &Path,
    threads: usize,
) -> Result<T, String> {
    if let Some(d) = out.parent() {
        std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
    }
    let _ = std::fs::remove_file(out);
    let t = threads.to_string();
    let result = command
        .arg(job)
        .arg(out)
        .env("RAYON_NUM_THREADS", &t)
        .env("OMP_NUM_THREADS", &t)
        .env("MKL_NUM_THREADS", &t)
        .output()
        .map_err(|e| format!("cannot start: {e}"))?;
    if !result.status.success() {
        let stderr = String::from_utf8_lossy(&result.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(format!(
            "{} ({})",
            last.unwrap_or("no message"),
            result.status
        ));
    }
    let text = std::fs::read_to_string(out).map_err(|e| format!("{}: {e}", out.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", out.display()))
}

/// One run as kept in the raw results: everything but the forecast, plus its accuracy.
fn raw_run(cell: &Cell, program: &str, repeat: usize, out: &RunOutput, w: &Workload) -> Value {
    let (mae, smape) = report::accuracy(out, w).unwrap_or((f64::NAN, f64::NAN));
    json!({
        "workload": cell.workload, "config": cell.config, "model": cell.model,
        "program": program, "repeat": repeat, "fit_s": out.fit_s, "steps_ms": out.steps_ms,
        "predict_panel_ms": out.predict_panel_ms, "predict_single_ms": out.predict_single_ms,
        "peak_rss_mb": out.peak_rss_mb, "mae": mae, "smape": smape,
    })
}

fn settings_json(args: &CompareArgs) -> Value {
    json!({
        "steps": args.steps, "warmup_steps": WARMUP_STEPS, "repeats": args.repeats,
        "threads": args.threads, "seed": SEED, "predict_repeats": args.predict_repeats(),
        "skipped_steps": report::SKIP_STEPS,
    })
}

/// The report: context, headline speed-ups, target verdicts, then a table per model.
fn report_markdown(
    args: &CompareArgs,
    machine: &MachineInfo,
    versions: &BTreeMap<&str, String>,
    loads: &[Workload],
    cells: &[Cell],
) -> String {
    let mut out = String::from("## Neuro-Divergent against Python NeuralForecast\n\n");
    out += "Written by `cargo xtask compare`; do not edit by hand, re-run it.\n\n";
    out += &machine.markdown();
    for (program, version) in versions {
        out += &format!("- {program}: {version}\n");
    }
    out += &format!(
        "- every run is a fresh process on {} threads (rayon; torch intra-op), seed {SEED}, \
         {WARMUP_STEPS} warm-up steps, then a timed fit of {} steps; {} runs per program, \
         alternating which program goes first\n",
        args.threads, args.steps, args.repeats
    );
    out += &format!(
        "- step ms: median time between consecutive training steps (data, forward, backward, \
         optimizer), first {} steps of each fit left out; predict ms: median of {} calls after one \
         untimed call; peak RSS: the process's VmHWM at exit; MAE and sMAPE on the held-out last \
         h points of every series\n",
        report::SKIP_STEPS,
        args.predict_repeats()
    );
    for w in loads {
        out += &format!(
            "- workload `{}`: {}; h = {}, input_size = {}\n",
            w.name, w.title, w.h, w.input_size
        );
    }
    out += "- configurations: `default` is each model's NeuralForecast defaults (steps aside); \
            `small` shrinks its layers to 32 units and samples 32 windows per step, so framework \
            overhead dominates (exact options: `Config::overrides` in xtask/src/compare/workloads.rs)\n\n";
    let columns: Vec<(String, String)> = loads
        .iter()
        .flat_map(|w| {
            args.configs
                .iter()
                .map(|c| (w.name.to_string(), c.name().to_string()))
        })
        .collect();
    out += "### Training step: times faster than NeuralForecast (its median step time / ours)\n\n";
    out += &report::speedup_table(&args.models, &columns, cells);
    out += "\n### Targets of the benchmarks issue\n\n";
    out += &report::verdicts(cells);
    out += "\n### Per model: Neuro-Divergent / NeuralForecast (ratio)\n\n";
    for m in &args.models {
        let mine: Vec<&Cell> = cells.iter().filter(|c| &c.model == m).collect();
        out += &report::model_table(m, &mine);
        out += "\n";
    }
    out
}
