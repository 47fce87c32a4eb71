//! The summary tables: kernels (SIMD vs scalar), GEMM against the measured peak, tape overhead,
//! training step.

use super::criterion::BenchResult;
use super::table::{Align, markdown, ns, num};
use neurodiv_benches::spec::{
    GEMM_GROUP, GEMM_SHAPES, GemmShape, KERNEL_GROUP_PREFIX, MODEL_MEASURES, MODELS_GROUP,
    SCALAR_ID, SCALING_GROUP, SIMD_ID, TAPE_GROUP, THREADS, TRAINING_GROUP, parse_threads_id,
};
use neurodiv_benches::{DEFAULT_DURATION, fma_path};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One kernel at one size.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelRow {
    /// Kernel name (`exp`, `softmax_rows`, ...).
    pub kernel: String,
    /// Size as in the id (`65536`, `1024x512`).
    pub size: String,
    /// Median ns of the dispatched (SIMD) version.
    pub simd_ns: Option<f64>,
    /// Median ns of the scalar twin.
    pub scalar_ns: Option<f64>,
}

impl KernelRow {
    /// scalar / SIMD time.
    pub fn speedup(&self) -> Option<f64> {
        Some(self.scalar_ns? / self.simd_ns?)
    }
}

/// One GEMM shape on one thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct GemmRow {
    /// The shape.
    pub shape: GemmShape,
    /// rayon threads.
    pub threads: usize,
    /// Median ns per call.
    pub median_ns: f64,
    /// Achieved GFLOP/s.
    pub gflops: f64,
    /// Percentage of the measured FMA peak for this thread count.
    pub pct_of_peak: Option<f64>,
    /// Time on 1 thread / time on `threads` (absent for the 1-thread row).
    pub speedup_vs_1t: Option<f64>,
}

/// One tape bench.
#[derive(Debug, Clone, PartialEq)]
pub struct TapeRow {
    /// `forward` or `forward_backward`.
    pub name: String,
    /// Recorded ops per iteration.
    pub ops: usize,
    /// Median ns per iteration.
    pub median_ns: f64,
}

/// One bench on every thread count it ran on (training step, thread scaling).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingRow {
    /// Bench id (`mlp_24-512-512-12_b1024`, `train_step_NHITS`).
    pub name: String,
    /// Median ns per step, by thread count.
    pub ns_by_threads: BTreeMap<usize, f64>,
}

/// Everything the summary shows.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Measured FMA peak in GFLOP/s, by thread count.
    pub peaks: Vec<(usize, f64)>,
    /// Kernel rows, by kernel name then size.
    pub kernels: Vec<KernelRow>,
    /// GEMM rows, in the order of the spec, 1 thread first.
    pub gemm: Vec<GemmRow>,
    /// Tape rows.
    pub tape: Vec<TapeRow>,
    /// Training-step and thread-scaling rows.
    pub training: Vec<TrainingRow>,
    /// Per-model benches: median ns by model, then by measure.
    pub models: BTreeMap<String, BTreeMap<String, f64>>,
    /// Results no table knows, as (full id, median ns).
    pub other: Vec<(String, f64)>,
}

/// Sort key of a size id: the product of its `x`-separated numbers.
fn size_key(s: &str) -> u64 {
    s.split('x')
        .map(|p| p.parse::<u64>().unwrap_or(0))
        .product()
}

impl Summary {
    /// Sorts `results` into the tables.
    pub fn build(results: &[BenchResult], peaks: &[(usize, f64)]) -> Summary {
        let mut s = Summary {
            peaks: peaks.to_vec(),
            ..Summary::default()
        };
        let mut kernels: BTreeMap<(String, u64, String), KernelRow> = BTreeMap::new();
        let mut training: BTreeMap<String, BTreeMap<usize, f64>> = BTreeMap::new();
        for r in results {
            let threads = parse_threads_id(&r.value);
            if let Some(kernel) = r.group.strip_prefix(KERNEL_GROUP_PREFIX) {
                let key = (kernel.to_string(), size_key(&r.value), r.value.clone());
                let row = kernels.entry(key).or_insert_with(|| KernelRow {
                    kernel: kernel.to_string(),
                    size: r.value.clone(),
                    simd_ns: None,
                    scalar_ns: None,
                });
                match r.function.as_str() {
                    SIMD_ID => row.simd_ns = Some(r.median_ns),
                    SCALAR_ID => row.scalar_ns = Some(r.median_ns),
                    _ => s.other.push((r.full_id.clone(), r.median_ns)),
                }
            } else if let (GEMM_GROUP, Some(shape), Some(threads)) =
                (r.group.as_str(), GemmShape::parse(&r.function), threads)
            {
                let gflops = shape.flops() as f64 / r.median_ns;
                let peak = peaks.iter().find(|p| p.0 == threads).map(|p| p.1);
                s.gemm.push(GemmRow {
                    shape,
                    threads,
                    median_ns: r.median_ns,
                    gflops,
                    pct_of_peak: peak.map(|p| 100.0 * gflops / p),
                    speedup_vs_1t: None,
                });
            } else if let (TAPE_GROUP, Ok(ops)) = (r.group.as_str(), r.value.parse::<usize>()) {
                s.tape.push(TapeRow {
                    name: r.function.clone(),
                    ops,
                    median_ns: r.median_ns,
                });
            } else if r.group == MODELS_GROUP {
                s.models
                    .entry(r.value.clone())
                    .or_default()
                    .insert(r.function.clone(), r.median_ns);
            } else if let (TRAINING_GROUP | SCALING_GROUP, Some(threads)) =
                (r.group.as_str(), threads)
            {
                training
                    .entry(r.function.clone())
                    .or_default()
                    .insert(threads, r.median_ns);
            } else {
                s.other.push((r.full_id.clone(), r.median_ns));
            }
        }
        s.kernels = kernels.into_values().collect();
        s.training = training
            .into_iter()
            .map(|(name, ns_by_threads)| TrainingRow {
                name,
                ns_by_threads,
            })
            .collect();
        let order = |g: &GemmRow| {
            let pos = GEMM_SHAPES
                .iter()
                .position(|&(m, k, n)| g.shape == GemmShape { batch: 1, m, k, n })
                .unwrap_or(GEMM_SHAPES.len());
            (
                pos,
                g.shape.batch,
                g.shape.m,
                g.shape.k,
                g.shape.n,
                g.threads,
            )
        };
        s.gemm.sort_by_key(order);
        let single: Vec<(GemmShape, f64)> = s
            .gemm
            .iter()
            .filter(|g| g.threads == 1)
            .map(|g| (g.shape, g.median_ns))
            .collect();
        for g in s.gemm.iter_mut().filter(|g| g.threads > 1) {
            g.speedup_vs_1t = single
                .iter()
                .find(|(shape, _)| *shape == g.shape)
                .map(|(_, t1)| t1 / g.median_ns);
        }
        s
    }

    /// The tables as markdown, one `###` section per non-empty table.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let mut section = |title: &str, body: String| {
            out += &format!("### {title}\n\n{body}\n");
        };
        section(
            &format!(
                "Measured f32 FMA peak (best of {} runs of {:.1} s per thread)",
                super::PEAK_RUNS,
                DEFAULT_DURATION.as_secs_f64()
            ),
            markdown(
                &[
                    ("threads", Align::Right),
                    ("ISA", Align::Left),
                    ("GFLOP/s", Align::Right),
                ],
                &self
                    .peaks
                    .iter()
                    .map(|&(t, g)| vec![t.to_string(), fma_path().name().into(), num(Some(g), 1)])
                    .collect::<Vec<_>>(),
            ),
        );
        if !self.kernels.is_empty() {
            let rows: Vec<Vec<String>> = self
                .kernels
                .iter()
                .map(|k| {
                    vec![
                        k.kernel.clone(),
                        k.size.clone(),
                        ns(k.simd_ns),
                        ns(k.scalar_ns),
                        num(k.speedup(), 2),
                    ]
                })
                .collect();
            section(
                "Element-wise and row kernels (1 thread, median)",
                markdown(
                    &[
                        ("kernel", Align::Left),
                        ("n", Align::Right),
                        ("SIMD ns", Align::Right),
                        ("scalar ns", Align::Right),
                        ("speedup", Align::Right),
                    ],
                    &rows,
                ),
            );
        }
        if !self.gemm.is_empty() {
            let rows: Vec<Vec<String>> = self
                .gemm
                .iter()
                .map(|g| {
                    vec![
                        g.shape.to_string(),
                        g.threads.to_string(),
                        num(Some(g.median_ns / 1e6), 3),
                        num(Some(g.gflops), 1),
                        num(g.pct_of_peak, 1),
                        num(g.speedup_vs_1t, 2),
                    ]
                })
                .collect();
            section(
                "GEMM (median; % of the measured FMA peak for the same thread count)",
                markdown(
                    &[
                        ("shape (M,K,N)", Align::Left),
                        ("threads", Align::Right),
                        ("ms", Align::Right),
                        ("GFLOP/s", Align::Right),
                        ("% peak", Align::Right),
                        ("speedup vs 1 thread", Align::Right),
                    ],
                    &rows,
                ),
            );
        }
        if !self.tape.is_empty() {
            let rows: Vec<Vec<String>> = self
                .tape
                .iter()
                .map(|t| {
                    vec![
                        t.name.clone(),
                        t.ops.to_string(),
                        num(Some(t.median_ns / 1e3), 2),
                        num(Some(t.median_ns / t.ops as f64), 1),
                    ]
                })
                .collect();
            section(
                "Autodiff tape overhead (1-element tensors, new tape per iteration)",
                markdown(
                    &[
                        ("bench", Align::Left),
                        ("ops", Align::Right),
                        ("median µs", Align::Right),
                        ("ns/op", Align::Right),
                    ],
                    &rows,
                ),
            );
        }
        if !self.training.is_empty() {
            let mut headers = vec![("model", Align::Left)];
            let labels: Vec<String> = THREADS
                .iter()
                .map(|t| format!("{t} thread(s) ms"))
                .collect();
            headers.extend(labels.iter().map(|l| (l.as_str(), Align::Right)));
            headers.push(("speedup", Align::Right));
            let rows: Vec<Vec<String>> = self
                .training
                .iter()
                .map(|t| {
                    let mut row = vec![t.name.clone()];
                    row.extend(
                        THREADS
                            .iter()
                            .map(|th| num(t.ns_by_threads.get(th).map(|v| v / 1e6), 2)),
                    );
                    row.push(num(training_speedup(t), 2));
                    row
                })
                .collect();
            section(
                "Thread scaling (median ms): the MLP training step (forward + backward, no optimizer), \
                 and NHITS's full training step and panel forecast",
                markdown(&headers, &rows),
            );
        }
        if !self.models.is_empty() {
            let mut headers = vec![("model", Align::Left)];
            let labels: Vec<String> = MODEL_MEASURES.iter().map(|m| format!("{m} ms")).collect();
            headers.extend(labels.iter().map(|l| (l.as_str(), Align::Right)));
            let rows: Vec<Vec<String>> = self
                .models
                .iter()
                .map(|(model, by)| {
                    let mut row = vec![model.clone()];
                    row.extend(
                        MODEL_MEASURES
                            .iter()
                            .map(|m| num(by.get(*m).map(|v| v / 1e6), 3)),
                    );
                    row
                })
                .collect();
            section(
                "Per model at NeuralForecast's defaults (h 12, input 24, 200-series panel, 2 threads; median)",
                markdown(&headers, &rows),
            );
        }
        if !self.other.is_empty() {
            let rows: Vec<Vec<String>> = self
                .other
                .iter()
                .map(|(id, t)| vec![id.clone(), ns(Some(*t))])
                .collect();
            section(
                "Other benchmarks",
                markdown(&[("id", Align::Left), ("median ns", Align::Right)], &rows),
            );
        }
        out
    }

    /// The tables and the raw results as JSON (absent figures are `null`).
    pub fn to_json(&self, raw: &[BenchResult]) -> Value {
        json!({
            "fma_peak_gflops": self.peaks.iter()
                .map(|&(t, g)| json!({"threads": t, "gflops": g}))
                .collect::<Vec<_>>(),
            "kernels": self.kernels.iter().map(|k| json!({
                "kernel": k.kernel, "size": k.size, "simd_ns": k.simd_ns,
                "scalar_ns": k.scalar_ns, "speedup": k.speedup(),
            })).collect::<Vec<_>>(),
            "gemm": self.gemm.iter().map(|g| json!({
                "shape": g.shape.to_string(), "batch": g.shape.batch, "m": g.shape.m,
                "k": g.shape.k, "n": g.shape.n, "threads": g.threads, "median_ns": g.median_ns,
                "gflops": g.gflops, "pct_of_peak": g.pct_of_peak,
                "speedup_vs_1_thread": g.speedup_vs_1t,
            })).collect::<Vec<_>>(),
            "tape": self.tape.iter().map(|t| json!({
                "bench": t.name, "ops": t.ops, "median_ns": t.median_ns,
                "ns_per_op": t.median_ns / t.ops as f64,
            })).collect::<Vec<_>>(),
            "training": self.training.iter().map(|t| json!({
                "model": t.name,
                "median_ns_by_threads": t.ns_by_threads.iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect::<serde_json::Map<_, _>>(),
                "speedup": training_speedup(t),
            })).collect::<Vec<_>>(),
            "models": self.models,
            "raw": raw.iter().map(|r| json!({
                "id": r.full_id, "group": r.group, "function": r.function, "value": r.value,
                "median_ns": r.median_ns, "mean_ns": r.mean_ns,
                "throughput_elements": r.elements,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Time on the fewest threads / time on the most.
fn training_speedup(t: &TrainingRow) -> Option<f64> {
    let (lo, hi) = (
        t.ns_by_threads.first_key_value()?,
        t.ns_by_threads.last_key_value()?,
    );
    (lo.0 != hi.0).then(|| lo.1 / hi.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(group: &str, function: &str, value: &str, median_ns: f64) -> BenchResult {
        BenchResult {
            group: group.into(),
            function: function.into(),
            value: value.into(),
            full_id: format!("{group}/{function}/{value}"),
            median_ns,
            mean_ns: median_ns,
            elements: None,
        }
    }

    #[test]
    fn builds_every_table() {
        let results = vec![
            result("kernels/exp", "simd", "65536", 10_000.0),
            result("kernels/exp", "scalar", "65536", 40_000.0),
            result("kernels/exp", "simd", "1024", 200.0),
            result("gemm", "512x512x512", "1t", 10e6),
            result("gemm", "512x512x512", "2t", 5e6),
            result("gemm", "batched256x96x64x96", "2t", 2e6),
            result("gemm", "batched256x96x64x96", "1t", 3e6),
            result("tape", "forward", "100", 5_000.0),
            result("training", "mlp", "1t", 60e6),
            result("training", "mlp", "2t", 40e6),
            result("mystery", "x", "", 1.0),
            result("models", "train_step", "NHITS", 2e6),
            result("models", "predict_one", "NHITS", 5e5),
        ];
        let s = Summary::build(&results, &[(1, 100.0), (2, 200.0)]);
        assert_eq!(s.kernels.len(), 2);
        assert_eq!(s.kernels[0].size, "1024"); // sorted by size
        assert_eq!(s.kernels[1].speedup(), Some(4.0));
        assert_eq!(s.kernels[0].speedup(), None);

        assert_eq!(s.gemm.len(), 4);
        let g = &s.gemm[0]; // (512,512,512) comes before the batched shape in the spec.
        assert_eq!((g.shape.m, g.threads), (512, 1));
        let expect = 2.0 * 512f64.powi(3) / 10e6;
        assert!((g.gflops - expect).abs() < 1e-9);
        assert!((g.pct_of_peak.unwrap() - expect).abs() < 1e-9);
        assert_eq!(s.gemm[1].speedup_vs_1t, Some(2.0));
        assert_eq!((s.gemm[2].shape.batch, s.gemm[2].threads), (256, 1));
        assert_eq!(s.gemm[3].speedup_vs_1t, Some(1.5));

        assert_eq!(s.tape[0].ops, 100);
        assert_eq!(training_speedup(&s.training[0]), Some(1.5));
        assert_eq!(s.other.len(), 1);

        let md = s.markdown();
        assert_eq!(s.models["NHITS"]["predict_one"], 5e5);
        for title in [
            "FMA peak",
            "kernels",
            "GEMM",
            "tape",
            "Thread scaling",
            "Per model",
            "Other",
        ] {
            assert!(md.contains(title), "{title} missing from\n{md}");
        }
        let j = s.to_json(&results);
        assert_eq!(j["gemm"][1]["speedup_vs_1_thread"], json!(2.0));
        assert_eq!(j["kernels"][0]["speedup"], Value::Null);
        assert_eq!(j["raw"].as_array().unwrap().len(), results.len());
    }
}
