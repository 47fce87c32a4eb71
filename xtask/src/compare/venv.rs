//! The Python side's environment: a virtual environment under the target directory with
//! NeuralForecast, torch and every dependency pinned by `xtask/compare/requirements.txt`,
//! installed from PyPI on the first run and reused while that file is unchanged.

use crate::error::XtaskError;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The pinned requirements, relative to the workspace root.
pub const REQUIREMENTS: &str = "xtask/compare/requirements.txt";
/// Written into the environment once the install succeeded: a copy of the requirements it has.
const STAMP: &str = "neurodiv-requirements.txt";

/// Returns the environment's Python interpreter, creating or updating the environment first when
/// it is missing or was made from other requirements. `NEURODIV_PYTHON` names the interpreter
/// that creates it (default `python3`).
pub fn ensure(root: &Path, dir: &Path) -> Result<PathBuf, XtaskError> {
    let req_path = root.join(REQUIREMENTS);
    let wanted = std::fs::read_to_string(&req_path).map_err(|e| XtaskError::io(&req_path, e))?;
    let venv = dir.join("venv");
    let python = venv.join("bin/python");
    let stamp = venv.join(STAMP);
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&wanted) {
        return Ok(python);
    }
    let host = std::env::var("NEURODIV_PYTHON").unwrap_or_else(|_| "python3".into());
    check_host(&host)?;
    eprintln!(
        "compare: installing NeuralForecast and torch into {} (first run only; about 6 GB from PyPI, a few minutes)",
        venv.display()
    );
    if venv.exists() {
        std::fs::remove_dir_all(&venv).map_err(|e| XtaskError::io(&venv, e))?;
    }
    let venv_arg = venv.display().to_string();
    run_logged(&host, &["-m", "venv", &venv_arg], None).map_err(|why| {
        XtaskError::Python(format!(
            "`{host} -m venv` failed ({why}); on Debian/Ubuntu install python3-venv, or set NEURODIV_PYTHON to a Python >= 3.10 that has venv"
        ))
    })?;
    let log = dir.join("pip.log");
    let req_arg = req_path.display().to_string();
    let pip_args = [
        "-m",
        "pip",
        "install",
        "--progress-bar",
        "off",
        "--no-input",
        "-r",
        &req_arg,
    ];
    let python_arg = python.display().to_string();
    run_logged(&python_arg, &pip_args, Some(&log)).map_err(|why| {
        XtaskError::Python(format!(
            "pip could not install {REQUIREMENTS} ({why}); PyPI must be reachable. pip's output: {}",
            log.display()
        ))
    })?;
    std::fs::write(&stamp, wanted).map_err(|e| XtaskError::io(&stamp, e))?;
    Ok(python)
}

/// The host interpreter must run and be at least Python 3.10 (torch's floor).
fn check_host(host: &str) -> Result<(), XtaskError> {
    let out = Command::new(host)
        .args([
            "-c",
            "import sys; print('%d %d' % sys.version_info[:2])",
        ])
        .output()
        .map_err(|e| {
            XtaskError::Python(format!(
                "cannot run {host:?} ({e}): install Python 3.10 or newer, or set NEURODIV_PYTHON to one"
            ))
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version: Vec<u32> = text
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    match version.as_slice() {
        [3, minor] if *minor >= 10 => Ok(()),
        _ => Err(XtaskError::Python(format!(
            "{host:?} is Python {}, NeuralForecast needs 3.10 or newer; set NEURODIV_PYTHON to one",
            text.trim()
        ))),
    }
}

/// Runs a command, its output into `log` (or discarded); `Err` says how it ended.
fn run_logged(program: &str, args: &[&str], log: Option<&Path>) -> Result<(), String> {
    let (stdout, stderr) = match log {
        Some(path) => {
            let f = std::fs::File::create(path).map_err(|e| e.to_string())?;
            let g = f.try_clone().map_err(|e| e.to_string())?;
            (Stdio::from(f), Stdio::from(g))
        }
        None => (Stdio::null(), Stdio::inherit()),
    };
    let status = Command::new(program)
        .args(args)
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(status.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_interpreter_is_a_clear_error() {
        let Err(XtaskError::Python(msg)) = check_host("/nonexistent/python3") else {
            panic!("expected a Python error");
        };
        assert!(msg.contains("install Python 3.10 or newer"), "{msg}");
    }

    #[test]
    fn an_old_or_foreign_interpreter_is_refused() {
        // `true` runs but prints no version: refused like an old Python.
        let Err(XtaskError::Python(msg)) = check_host("true") else {
            panic!("expected a Python error");
        };
        assert!(msg.contains("needs 3.10 or newer"), "{msg}");
    }
}
