//! Helpers every xtask command shares: paths, files, commands.

use crate::error::XtaskError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Joins words into one shell line, quoting those that need it.
pub fn shell_join(words: &[String]) -> String {
    let quote = |w: &String| {
        let plain = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
        if plain {
            w.clone()
        } else {
            format!("'{}'", w.replace('\'', r"'\''"))
        }
    };
    words.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// Parses the arguments that follow command `name` with clap (as `cargo xtask NAME` does); a
/// bad argument is [`XtaskError::Usage`] with clap's message. The tests' entry point.
#[cfg(test)]
pub fn parse_args<T: clap::Args + clap::FromArgMatches>(
    name: &'static str,
    args: &[String],
) -> Result<T, XtaskError> {
    let command = T::augment_args(clap::Command::new(name));
    let matches = command
        .try_get_matches_from(std::iter::once(name.to_string()).chain(args.iter().cloned()))
        .map_err(|e| XtaskError::Usage(clap_message(&e)))?;
    T::from_arg_matches(&matches).map_err(|e| XtaskError::Usage(clap_message(&e)))
}

/// clap's error as one line, without its `error:` prefix and usage block.
#[cfg(test)]
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.split("\n\n").next().unwrap_or("");
    let line = first.split_whitespace().collect::<Vec<_>>().join(" ");
    line.strip_prefix("error: ").unwrap_or(&line).to_string()
}

/// Runs `command` with this process's stdin, stdout and stderr and fails unless it exits with
/// status 0; `shown` is the command line for messages.
pub fn run_command(mut command: Command, shown: &str) -> Result<(), XtaskError> {
    let status = command.status().map_err(|source| XtaskError::Spawn {
        command: shown.to_string(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(XtaskError::CommandFailed {
            command: shown.to_string(),
            status,
        })
    }
}

/// Builds binary `bin` of `package` with the release profile; returns its path and the cargo
/// command that built it (for reports).
pub fn build_release(
    cargo: &str,
    root: &Path,
    target: &Path,
    package: &str,
    bin: &str,
) -> Result<(PathBuf, String), XtaskError> {
    let args = ["build", "--release", "--quiet", "-p", package, "--bin", bin];
    let shown = format!("cargo {}", args.join(" "));
    eprintln!("xtask: {shown}");
    let mut command = Command::new(cargo);
    command.args(args).current_dir(root);
    run_command(command, &shown)?;
    Ok((target.join("release").join(bin), shown))
}

/// Writes `text` to `path`, creating its directory.
pub fn write(path: &Path, text: &str) -> Result<(), XtaskError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| XtaskError::io(dir, e))?;
    }
    std::fs::write(path, text).map_err(|e| XtaskError::io(path, e))
}

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// Cargo's target directory, as `cargo metadata` reports it.
pub fn target_dir(cargo: &str, root: &Path) -> Result<PathBuf, XtaskError> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Ok(root.join(dir));
    }
    let command = format!("{cargo} metadata --format-version 1 --no-deps");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .map_err(|source| XtaskError::Spawn {
            command: command.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(XtaskError::CommandFailed {
            command,
            status: out.status,
        });
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| XtaskError::Malformed {
            path: "cargo metadata output".into(),
            message: e.to_string(),
        })?;
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| XtaskError::Malformed {
            path: "cargo metadata output".into(),
            message: "no target_directory".into(),
        })
}

/// Replaces the generated section `name` of the markdown file at `path`: the text between
/// `<!-- BEGIN generated: name -->` and `<!-- END generated: name -->`. A file without the
/// markers gets the section appended.
pub fn replace_section(path: &Path, name: &str, body: &str) -> Result<(), XtaskError> {
    let begin = format!("<!-- BEGIN generated: {name} -->");
    let end = format!("<!-- END generated: {name} -->");
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(XtaskError::io(path, e)),
    };
    let section = format!("{begin}\n{body}{end}");
    let new = match (text.find(&begin), text.find(&end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{section}{}", &text[..b], &text[e + end.len()..])
        }
        (None, None) => format!("{text}\n{section}\n"),
        _ => {
            return Err(XtaskError::Malformed {
                path: path.to_path_buf(),
                message: format!("the markers of section {name:?} are unpaired or out of order"),
            });
        }
    };
    write(path, &new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_or_appends_a_section() {
        let dir = std::env::temp_dir().join(format!("xtask-section-{}", std::process::id()));
        let path = dir.join("doc.md");
        write(&path, "# Title\n\nprose\n").unwrap();
        replace_section(&path, "x", "one\n").unwrap();
        replace_section(&path, "x", "two\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# Title\n\nprose\n"));
        assert!(text.contains("two\n") && !text.contains("one\n"));
        assert_eq!(text.matches("BEGIN generated: x").count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
