//! Reading criterion's results: `<criterion dir>/**/new/{benchmark,estimates}.json`.

use crate::error::XtaskError;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One benchmark's result as criterion stored it.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchResult {
    /// Criterion's group id (`gemm`, `kernels/exp`, ...).
    pub group: String,
    /// Function id inside the group (`simd`, `1024x24x512`, ...), if any.
    pub function: String,
    /// Parameter part of the id (`65536`, `2t`, ...), if any.
    pub value: String,
    /// The full id `group/function/value`.
    pub full_id: String,
    /// Median time per iteration, ns.
    pub median_ns: f64,
    /// Mean time per iteration, ns.
    pub mean_ns: f64,
    /// Declared throughput in elements per iteration, if any.
    pub elements: Option<u64>,
}

/// Every result under `dir` whose estimates were written at or after `since`
/// (so results of earlier runs, e.g. excluded by a filter now, are left out), sorted by id.
pub fn collect(dir: &Path, since: SystemTime) -> Result<Vec<BenchResult>, XtaskError> {
    let mut out = Vec::new();
    if dir.is_dir() {
        walk(dir, since, &mut out)?;
    }
    out.sort_by(|a, b| a.full_id.cmp(&b.full_id));
    Ok(out)
}

fn walk(dir: &Path, since: SystemTime, out: &mut Vec<BenchResult>) -> Result<(), XtaskError> {
    let entries = std::fs::read_dir(dir).map_err(|e| XtaskError::io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| XtaskError::io(dir, e))?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some(r) = read_result(&path, since)? {
                out.push(r);
            }
        } else {
            walk(&path, since, out)?;
        }
    }
    Ok(())
}

/// Reads one `new/` directory; `None` when it lacks the files or is older than `since`.
fn read_result(dir: &Path, since: SystemTime) -> Result<Option<BenchResult>, XtaskError> {
    let (bench_path, est_path) = (dir.join("benchmark.json"), dir.join("estimates.json"));
    if !bench_path.is_file() || !est_path.is_file() {
        return Ok(None);
    }
    let modified = std::fs::metadata(&est_path)
        .and_then(|m| m.modified())
        .map_err(|e| XtaskError::io(&est_path, e))?;
    if modified < since {
        return Ok(None);
    }
    let bench = read_json(&bench_path)?;
    let est = read_json(&est_path)?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let group = text(&bench["group_id"]);
    let function = text(&bench["function_id"]);
    let value = text(&bench["value_str"]);
    let full_id = match bench["full_id"].as_str() {
        Some(s) => s.to_string(),
        None => [group.as_str(), &function, &value]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("/"),
    };
    let estimate = |name: &str| {
        est[name]["point_estimate"]
            .as_f64()
            .ok_or_else(|| malformed(&est_path, format!("no {name}.point_estimate")))
    };
    Ok(Some(BenchResult {
        group,
        function,
        value,
        full_id,
        median_ns: estimate("median")?,
        mean_ns: estimate("mean")?,
        elements: bench["throughput"]["Elements"].as_u64(),
    }))
}

fn read_json(path: &Path) -> Result<Value, XtaskError> {
    let text = std::fs::read_to_string(path).map_err(|e| XtaskError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| malformed(path, e.to_string()))
}

fn malformed(path: &Path, message: String) -> XtaskError {
    XtaskError::Malformed {
        path: PathBuf::from(path),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn write_result(root: &Path, dir: &str, bench: &str, median: f64) {
        let d = root.join(dir).join("new");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("benchmark.json"), bench).unwrap();
        let est = format!(
            r#"{{"mean":{{"point_estimate":{}}},"median":{{"point_estimate":{median}}},"slope":null}}"#,
            median * 1.1
        );
        std::fs::write(d.join("estimates.json"), est).unwrap();
    }

    #[test]
    fn reads_fresh_results_only() {
        let root = std::env::temp_dir().join(format!("xtask-criterion-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        write_result(
            &root,
            "gemm/32x96x256/1t",
            r#"{"group_id":"gemm","function_id":"32x96x256","value_str":"1t",
               "throughput":{"Elements":1572864},"full_id":"gemm/32x96x256/1t"}"#,
            2000.0,
        );
        // A `base/` copy next to `new/` must be ignored.
        let base = root.join("gemm/32x96x256/1t/base");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("benchmark.json"), "not json").unwrap();

        let all = collect(&root, SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(all.len(), 1);
        let r = &all[0];
        assert_eq!(
            (r.group.as_str(), r.function.as_str(), r.value.as_str()),
            ("gemm", "32x96x256", "1t")
        );
        assert_eq!(r.median_ns, 2000.0);
        assert_eq!(r.elements, Some(1_572_864));

        let later = SystemTime::now() + Duration::from_secs(3600);
        assert!(collect(&root, later).unwrap().is_empty());
        assert!(
            collect(&root.join("missing"), SystemTime::UNIX_EPOCH)
                .unwrap()
                .is_empty()
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn malformed_estimates_are_an_error() {
        let root = std::env::temp_dir().join(format!("xtask-criterion-bad-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let d = root.join("x/new");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("benchmark.json"), r#"{"group_id":"x"}"#).unwrap();
        std::fs::write(d.join("estimates.json"), r#"{"mean":{}}"#).unwrap();
        assert!(matches!(
            collect(&root, SystemTime::UNIX_EPOCH),
            Err(XtaskError::Malformed { .. })
        ));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
