//! `cargo xtask docs-check`: runs the command blocks of README.md and docs/cli.md as written,
//! with small step counts, against one release build of `neurodiv`.
//!
//! A block's commands are the lines of a `sh` block, or the `$ ` lines of a `text` block (a
//! trailing `\` continues a line). `neurodiv ...`, `cargo run --release -- ...` and
//! `cargo run -q -p neurodiv-cli -- ...` run the release binary; other `cargo` commands run in
//! the workspace root. A `text` command whose shown output starts with `error:` must exit with
//! code 2, every other with 0. Training commands get `--max-steps 2`. Skipped: a block after a
//! `<!-- long -->` line, and a line whose comment says `(long)`. The commands run in order in
//! one fresh directory holding a link to `data/`.

use crate::error::XtaskError;
use crate::util::{build_release, run_command, target_dir, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The documents whose blocks are run.
const DOCS: [&str; 2] = ["README.md", "docs/cli.md"];
/// Training steps of every documented training command.
const STEPS: &str = "2";

/// Options of `cargo xtask docs-check`.
#[derive(Debug, clap::Args)]
pub struct DocsCheckArgs {
    /// Print each command and its outcome.
    #[arg(long)]
    pub verbose: bool,
    /// Use a debug build of neurodiv (quicker to build, slower to run) instead of a release one.
    #[arg(long)]
    pub debug: bool,
}

/// One command of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DocCommand {
    /// Where it is (`docs/cli.md:42`).
    place: String,
    /// The shell text, continuations joined.
    text: String,
    /// Exit code the document shows (2 when its output is an error).
    expect: i32,
}

/// The commands of a Markdown text (see the module's rules); `name` prefixes the places.
fn commands(name: &str, markdown: &str) -> Vec<DocCommand> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut long = false;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if line.trim() == "<!-- long -->" {
            long = true;
            i += 1;
            continue;
        }
        let Some(lang) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                long = false;
            }
            i += 1;
            continue;
        };
        let (lang, skip) = (lang.trim().to_string(), long);
        long = false;
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim_start().starts_with("```") {
            end += 1;
        }
        if !skip && (lang == "sh" || lang == "text") {
            out.extend(block_commands(
                name,
                &lines[start..end],
                start,
                lang == "sh",
            ));
        }
        i = end + 1;
    }
    out
}

fn block_commands(name: &str, block: &[&str], first: usize, sh: bool) -> Vec<DocCommand> {
    let mut out: Vec<DocCommand> = Vec::new();
    let mut k = 0;
    while k < block.len() {
        let raw = block[k].trim_end();
        let text = if sh {
            raw.trim()
        } else {
            match raw.strip_prefix("$ ") {
                Some(t) => t,
                None => {
                    // Output of the previous command: an error line sets its expected code.
                    if let Some(last) = out.last_mut()
                        && raw.starts_with("error:")
                    {
                        last.expect = 2;
                    }
                    k += 1;
                    continue;
                }
            }
        };
        let place = format!("{name}:{}", first + k + 1);
        let mut joined = text.to_string();
        while joined.ends_with('\\') && k + 1 < block.len() {
            joined.pop();
            joined.truncate(joined.trim_end().len());
            k += 1;
            joined.push(' ');
            joined.push_str(block[k].trim());
        }
        k += 1;
        // A comment after two spaces ends the command; "(long)" in it skips the command.
        let (command, comment) = match joined.find("  #") {
            Some(p) => (joined[..p].trim().to_string(), joined[p..].to_string()),
            None => (joined.trim().to_string(), String::new()),
        };
        if command.is_empty() || command.starts_with('#') || comment.contains("(long)") {
            continue;
        }
        out.push(DocCommand {
            place,
            text: command,
            expect: 0,
        });
    }
    out
}

/// The command with the documented binary spellings as `neurodiv` and training commands
/// limited to `STEPS` steps.
fn rewrite(text: &str) -> String {
    let mut text = text.to_string();
    for prefix in [
        "cargo run --release -- ",
        "cargo run -q -p neurodiv-cli -- ",
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = format!("neurodiv {rest}");
        }
    }
    let words: Vec<&str> = text.split(' ').collect();
    let trains = words.first() == Some(&"neurodiv")
        && words
            .get(1)
            .is_some_and(|c| ["forecast", "fit", "cv"].contains(c));
    if !trains {
        return text;
    }
    match words.iter().position(|w| *w == "--max-steps") {
        Some(p) if p + 1 < words.len() => {
            let mut w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
            w[p + 1] = STEPS.into();
            w.join(" ")
        }
        _ => {
            // Before any pipe or redirection.
            let cut = text
                .find(" |")
                .or_else(|| text.find(" >"))
                .unwrap_or(text.len());
            format!("{} --max-steps {STEPS}{}", &text[..cut], &text[cut..])
        }
    }
}

/// Builds the release binary, then runs every command of the documents in order.
pub fn run(args: &DocsCheckArgs) -> Result<(), XtaskError> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = target_dir(&cargo, &root)?;
    let binary = if args.debug {
        let shown = "cargo build --quiet -p neurodiv-cli --bin neurodiv";
        eprintln!("xtask: {shown}");
        let mut command = Command::new(&cargo);
        command
            .args([
                "build",
                "--quiet",
                "-p",
                "neurodiv-cli",
                "--bin",
                "neurodiv",
            ])
            .current_dir(&root);
        run_command(command, shown)?;
        target.join("debug").join("neurodiv")
    } else {
        build_release(&cargo, &root, &target, "neurodiv-cli", "neurodiv")?.0
    };
    let work = target.join("docs-check");
    let _ = std::fs::remove_dir_all(&work);
    let bin_dir = work.join("bin");
    std::fs::create_dir_all(&bin_dir).map_err(|e| XtaskError::io(&bin_dir, e))?;
    link(&binary, &bin_dir.join("neurodiv"))?;
    link(&root.join("data"), &work.join("data"))?;
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    let mut count = 0;
    for doc in DOCS {
        let file = root.join(doc);
        let text = std::fs::read_to_string(&file).map_err(|e| XtaskError::io(&file, e))?;
        for c in commands(doc, &text) {
            let shell = rewrite(&c.text);
            let in_root = shell.starts_with("cargo ");
            let out = Command::new("bash")
                .args(["-c", &format!("set -o pipefail; {shell}")])
                .current_dir(if in_root { &root } else { &work })
                .env("PATH", &path)
                .output()
                .map_err(|source| XtaskError::Spawn {
                    command: shell.clone(),
                    source,
                })?;
            count += 1;
            let code = out.status.code().unwrap_or(-1);
            let ok = code == c.expect;
            if args.verbose || !ok {
                eprintln!(
                    "{} {}: {shell} (exit {code}, expected {})",
                    if ok { "ok  " } else { "FAIL" },
                    c.place,
                    c.expect
                );
            }
            if !ok {
                eprintln!("{}", String::from_utf8_lossy(&out.stderr).trim_end());
                failures.push(c.place);
            }
        }
    }
    if failures.is_empty() {
        println!(
            "docs-check: {count} commands of {} ran as documented",
            DOCS.join(", ")
        );
        Ok(())
    } else {
        Err(XtaskError::Usage(format!(
            "docs-check: {} of {count} commands did not run as documented: {}",
            failures.len(),
            failures.join(", ")
        )))
    }
}

#[cfg(unix)]
fn link(from: &Path, to: &PathBuf) -> Result<(), XtaskError> {
    std::os::unix::fs::symlink(from, to).map_err(|e| XtaskError::io(to, e))
}

#[cfg(not(unix))]
fn link(from: &Path, to: &PathBuf) -> Result<(), XtaskError> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| XtaskError::io(to, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_commands_expectations_and_skips() {
        let md = "```sh\ncargo run --release -- forecast   # main\ncargo test --workspace  # tests (long)\n```\n\n<!-- long -->\n```sh\ncargo xtask compare\n```\n```text\n$ neurodiv fit \\\n    --quiet\nsaved\n$ neurodiv forecast --h abc\nerror: invalid value\n```\n";
        let c = commands("R.md", md);
        let texts: Vec<(&str, i32)> = c.iter().map(|c| (c.text.as_str(), c.expect)).collect();
        assert_eq!(
            texts,
            [
                ("cargo run --release -- forecast", 0),
                ("neurodiv fit --quiet", 0),
                ("neurodiv forecast --h abc", 2)
            ]
        );
        assert_eq!(c[1].place, "R.md:11");
    }

    #[test]
    fn rewrites_binaries_and_steps() {
        assert_eq!(
            rewrite("cargo run --release -- forecast --holdout 12"),
            "neurodiv forecast --holdout 12 --max-steps 2"
        );
        assert_eq!(
            rewrite("neurodiv cv --max-steps 50 --n-windows 2 > /dev/null"),
            "neurodiv cv --max-steps 2 --n-windows 2 > /dev/null"
        );
        assert_eq!(
            rewrite("neurodiv predict --load m | head -3"),
            "neurodiv predict --load m | head -3"
        );
        assert_eq!(
            rewrite("neurodiv fit --quiet | head -3"),
            "neurodiv fit --quiet --max-steps 2 | head -3"
        );
        assert_eq!(
            rewrite("cargo run -q -p neurodiv-cli -- models"),
            "neurodiv models"
        );
    }
}
