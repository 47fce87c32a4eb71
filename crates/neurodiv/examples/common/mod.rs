//! What the examples share: their command-line options (`--steps 2`, `--seeds 3`, ...).

use std::error::Error;
use std::str::FromStr;

/// The options after `--` on `cargo run --example NAME -- ...`.
pub struct Args(Vec<String>);

impl Args {
    /// The process's options.
    pub fn parse() -> Self {
        Args(std::env::args().skip(1).collect())
    }

    /// The text after option `name`, if given.
    pub fn text(&self, name: &str) -> Option<&str> {
        let i = self.0.iter().position(|a| a == name)?;
        self.0.get(i + 1).map(String::as_str)
    }

    /// The value after option `name`, or `default` when it is not given.
    pub fn value<T: FromStr>(&self, name: &str, default: T) -> Result<T, Box<dyn Error>>
    where
        T::Err: Error + 'static,
    {
        match self.text(name) {
            Some(t) => t.parse().map_err(|e| format!("{name} {t}: {e}").into()),
            None => Ok(default),
        }
    }
}
