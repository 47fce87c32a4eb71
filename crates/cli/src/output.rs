//! Where a command's results go: stdout, stderr, and output files that appear all together or
//! not at all.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Set once a write to stdout found the pipe closed: the reader (`head`, say) has gone.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout. A closed pipe is not an error: the reader took what it wanted, and
/// the command goes on quietly without printing more. Any other failure (a full disk) is.
pub fn print(text: &str) -> Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(format!("cannot write to stdout: {e}").into()),
    }
}

/// Writes one line to stderr, ignoring failures (a closed stderr has no one to tell).
pub fn eprint_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Refuses an output path that names an input file or another output: writing it would change
/// what the user gave, or lose one of the outputs.
pub fn check_paths(inputs: &[Option<&Path>], outputs: &[(&str, Option<&Path>)]) -> Result<()> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    let outputs: Vec<(&str, &Path)> = outputs
        .iter()
        .filter_map(|&(flag, p)| p.map(|p| (flag, p)))
        .collect();
    for (i, &(flag, out)) in outputs.iter().enumerate() {
        if let Some(input) = inputs.iter().flatten().find(|input| same(input, out)) {
            return Err(format!(
                "{flag} {} would overwrite the input file {}",
                out.display(),
                input.display()
            )
            .into());
        }
        if let Some((other, _)) = outputs[..i].iter().find(|(_, p)| same(p, out)) {
            return Err(format!("{flag} and {other} name the same file {}", out.display()).into());
        }
    }
    Ok(())
}

/// Output files staged beside their targets and moved into place together by
/// [`commit`](Self::commit); dropped without a commit (a later step failed), the staged files are
/// removed, so a command leaves either all its outputs or none.
#[derive(Debug, Default)]
pub struct Outputs {
    /// `(staged file, target)`.
    staged: Vec<(PathBuf, PathBuf)>,
}

impl Outputs {
    /// Nothing staged yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stages `bytes` for `target`.
    pub fn write(&mut self, target: &Path, bytes: &[u8]) -> Result<()> {
        self.render(target, |tmp| Ok(std::fs::write(tmp, bytes)?))
    }

    /// Stages the file that `render` writes at the temporary path it is given (in `target`'s
    /// directory, with `target`'s extension last, which encoders may read).
    pub fn render(
        &mut self,
        target: &Path,
        render: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        let tmp = self.temp_path(target);
        self.staged.push((tmp.clone(), target.to_path_buf()));
        render(&tmp).map_err(|e| format!("{}: {e}", target.display()).into())
    }

    fn temp_path(&self, target: &Path) -> PathBuf {
        let stem = target
            .file_stem()
            .map_or("out".into(), |s| s.to_string_lossy());
        let ext = target
            .extension()
            .map_or(String::new(), |e| format!(".{}", e.to_string_lossy()));
        target.with_file_name(format!(
            ".{stem}.tmp-{}-{}{ext}",
            std::process::id(),
            self.staged.len()
        ))
    }

    /// Moves every staged file to its target. A target that is a directory is refused before
    /// anything moves.
    pub fn commit(mut self) -> Result<()> {
        if let Some((_, dir)) = self.staged.iter().find(|(_, target)| target.is_dir()) {
            return Err(format!("{} is a directory", dir.display()).into());
        }
        while let Some((tmp, target)) = self.staged.first().cloned() {
            std::fs::rename(&tmp, &target).map_err(|e| format!("{}: {e}", target.display()))?;
            self.staged.remove(0);
        }
        Ok(())
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("neurodiv-out-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn staged_outputs_appear_together_on_commit_and_not_at_all_on_drop() {
        let d = dir("stage");
        let mut o = Outputs::new();
        o.write(&d.join("a.csv"), b"a").unwrap();
        o.write(&d.join("b.json"), b"b").unwrap();
        assert!(!d.join("a.csv").exists());
        o.commit().unwrap();
        assert_eq!(std::fs::read(d.join("b.json")).unwrap(), b"b");
        let mut o = Outputs::new();
        o.write(&d.join("c.csv"), b"c").unwrap();
        assert!(o.render(&d.join("p.svg"), |_| Err("no".into())).is_err());
        drop(o);
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "only the committed files remain: {names:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn outputs_may_not_name_inputs_or_each_other() {
        let d = dir("paths");
        let input = d.join("in.csv");
        std::fs::write(&input, "x").unwrap();
        let other = d.join("out.csv");
        assert!(check_paths(&[Some(&input)], &[("--out", Some(&other))]).is_ok());
        assert!(check_paths(&[Some(&input)], &[("--out", Some(&input))]).is_err());
        let twice = [
            ("--out", Some(other.as_path())),
            ("--plot", Some(other.as_path())),
        ];
        assert!(check_paths(&[], &twice).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
