//! Reading and printing losses in NeuralForecast's spelling, a class name with arguments:
//! `MAE`, `MASE(seasonality=12)`, `HuberLoss(delta=0.5)`, `QuantileLoss(q=0.9)`,
//! `MQLoss(level=[80, 90])`, `MQLoss(quantiles=[0.1, 0.5, 0.9])`,
//! `DistributionLoss(StudentT, level=[80, 90])`,
//! `DistributionLoss(distribution="Normal", quantiles=[0.1, 0.9], num_samples=500,
//! return_params=True)`, `DistributionLoss(Tweedie, rho=1.5)`, `HuberQLoss(q=0.9, delta=0.5)`,
//! `HuberMQLoss(level=[80, 90], delta=1.0)`, `GMM(n_components=3, level=[80, 90])`,
//! `PMM(n_components=5, weighted=True)`, `NBMM`. Names are case-insensitive; arguments may be given by keyword or in
//! NeuralForecast's positional order; strings may be quoted or bare; without arguments the
//! defaults are NeuralForecast's (`delta = 1`, `level = [80, 90]`, `num_samples = 1000`), plus
//! `seasonality = 1` for MASE and `q = 0.5` for QuantileLoss (which NeuralForecast requires).

use super::distribution::DISTRIBUTION_NAMES;
use super::{DEFAULT_LEVELS, DEFAULT_NUM_SAMPLES, Distribution, Loss, levels_to_quantiles};
use crate::OptimError;
use std::str::FromStr;

const NAMES: &str = "MAE, MSE, RMSE, MAPE, SMAPE, MASE, HuberLoss, QuantileLoss, MQLoss, \
    HuberQLoss, HuberMQLoss, DistributionLoss, GMM, PMM, NBMM";

/// Position given to keyword-only arguments (never matched positionally).
const KEYWORD_ONLY: usize = usize::MAX;

fn parse_err(input: &str, reason: impl Into<String>) -> OptimError {
    OptimError::Parse {
        kind: "loss",
        input: input.to_string(),
        reason: reason.into(),
    }
}

/// The arguments of one call, split at the top-level commas, as `(keyword, value)` pairs.
struct Args<'a> {
    input: &'a str,
    items: Vec<(Option<String>, &'a str)>,
    used: Vec<bool>,
}

impl<'a> Args<'a> {
    fn split(input: &'a str, args: &'a str) -> Result<Self, OptimError> {
        let mut items: Vec<(Option<String>, &str)> = Vec::new();
        let (mut depth, mut start) = (0i32, 0);
        let bytes = args.as_bytes();
        for i in 0..=bytes.len() {
            let c = bytes.get(i).copied().unwrap_or(b',');
            match c {
                b'[' | b'(' => depth += 1,
                b']' | b')' => depth -= 1,
                b',' if depth == 0 => {
                    let item = args[start..i].trim();
                    start = i + 1;
                    if item.is_empty() {
                        if i < bytes.len() {
                            return Err(parse_err(input, "empty argument"));
                        }
                        continue;
                    }
                    let (key, value) = match item.split_once('=') {
                        Some((k, v)) if !k.contains('[') => {
                            (Some(k.trim().to_ascii_lowercase()), v.trim())
                        }
                        _ => (None, item),
                    };
                    if key.is_none() && items.iter().any(|(k, _)| k.is_some()) {
                        return Err(parse_err(
                            input,
                            format!("positional argument {item:?} after a keyword argument"),
                        ));
                    }
                    items.push((key, value));
                }
                _ => {}
            }
            if depth < 0 {
                return Err(parse_err(input, "unbalanced brackets"));
            }
        }
        if depth != 0 {
            return Err(parse_err(input, "unbalanced brackets"));
        }
        let used = vec![false; items.len()];
        Ok(Args { input, items, used })
    }

    /// The argument called `key`, or the positional one at `position`.
    fn take(&mut self, key: &str, position: usize) -> Option<&'a str> {
        let at = self
            .items
            .iter()
            .position(|(k, _)| k.as_deref() == Some(key))
            .or_else(|| (self.items.get(position)?.0.is_none()).then_some(position))?;
        self.used[at] = true;
        Some(self.items[at].1)
    }

    /// Fails on an argument no `take` asked for.
    fn finish(self, expected: &str) -> Result<(), OptimError> {
        match self.used.iter().position(|u| !u) {
            None => Ok(()),
            Some(i) => Err(parse_err(
                self.input,
                match &self.items[i].0 {
                    Some(k) => format!("unknown argument {k:?}; expected {expected}"),
                    None => format!("too many arguments; expected {expected}"),
                },
            )),
        }
    }

    fn number<T: FromStr>(&self, v: &str) -> Result<T, OptimError> {
        v.trim()
            .parse()
            .map_err(|_| parse_err(self.input, format!("{:?} is not a valid number", v.trim())))
    }

    fn list<T: FromStr>(&self, v: &str) -> Result<Vec<T>, OptimError> {
        let v = v.trim();
        let inner = v
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .ok_or_else(|| parse_err(self.input, format!("{v:?} is not a list like [80, 90]")))?;
        if inner.trim().is_empty() {
            return Ok(Vec::new());
        }
        inner.split(',').map(|x| self.number(x)).collect()
    }

    fn flag(&self, v: &str) -> Result<bool, OptimError> {
        match v.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(parse_err(
                self.input,
                format!("{other:?} is not True or False"),
            )),
        }
    }
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(v)
}

/// `level=[..]` or `quantiles=[..]` (at most one), NeuralForecast's interval arguments.
fn interval_quantiles(
    a: &mut Args<'_>,
    level_at: usize,
    quantiles_at: usize,
    sort: bool,
) -> Result<Vec<f32>, OptimError> {
    let level = a.take("level", level_at);
    let quantiles = a
        .take("quantiles", quantiles_at)
        .filter(|q| !unquote(q).eq_ignore_ascii_case("none"));
    match (level, quantiles) {
        (Some(_), Some(_)) => Err(parse_err(a.input, "give level or quantiles, not both")),
        (_, Some(q)) => {
            let mut qs = super::quantile::dedup_quantiles(&a.list::<f32>(q)?);
            if sort {
                qs.sort_by(f32::total_cmp);
            }
            Ok(qs)
        }
        (Some(l), None) => Ok(levels_to_quantiles(&a.list::<u32>(l)?)),
        (None, None) => Ok(levels_to_quantiles(&DEFAULT_LEVELS)),
    }
}

impl FromStr for Loss {
    type Err = OptimError;

    fn from_str(s: &str) -> Result<Self, OptimError> {
        let t = s.trim();
        let (name, args) = match t.split_once('(') {
            Some((n, rest)) => {
                let args = rest
                    .strip_suffix(')')
                    .ok_or_else(|| parse_err(s, "missing closing parenthesis"))?;
                (n.trim(), args)
            }
            None => (t, ""),
        };
        let mut a = Args::split(s, args)?;
        let (loss, expected) = match name.to_ascii_lowercase().as_str() {
            "mae" => (Loss::MAE, "no arguments"),
            "mse" => (Loss::MSE, "no arguments"),
            "rmse" => (Loss::RMSE, "no arguments"),
            "mape" => (Loss::MAPE, "no arguments"),
            "smape" => (Loss::SMAPE, "no arguments"),
            "mase" => {
                let seasonality = a.take("seasonality", 0).map_or(Ok(1), |v| a.number(v))?;
                (Loss::MASE { seasonality }, "seasonality")
            }
            "huberloss" | "huber" => {
                let delta = a.take("delta", 0).map_or(Ok(1.0), |v| a.number(v))?;
                (Loss::Huber { delta }, "delta")
            }
            "quantileloss" => {
                let q = a.take("q", 0).map_or(Ok(0.5), |v| a.number(v))?;
                (Loss::QuantileLoss { q }, "q")
            }
            "mqloss" => {
                let quantiles = interval_quantiles(&mut a, 0, 1, false)?;
                (Loss::MQLoss { quantiles }, "level or quantiles")
            }
            "huberqloss" => {
                let q = a.take("q", 0).map_or(Ok(0.5), |v| a.number(v))?;
                let delta = a.take("delta", 1).map_or(Ok(1.0), |v| a.number(v))?;
                (Loss::HuberQLoss { q, delta }, "q, delta")
            }
            "hubermqloss" => {
                let quantiles = interval_quantiles(&mut a, 0, 1, false)?;
                let delta = a.take("delta", 2).map_or(Ok(1.0), |v| a.number(v))?;
                (
                    Loss::HuberMQLoss { quantiles, delta },
                    "level, quantiles, delta",
                )
            }
            mixture @ ("gmm" | "pmm" | "nbmm") => {
                // NeuralForecast's defaults: 10 components for PMM, 1 for GMM and NBMM.
                let default_n = if mixture == "pmm" { 10 } else { 1 };
                let n_components = a
                    .take("n_components", 0)
                    .map_or(Ok(default_n), |v| a.number(v))?;
                let quantiles = interval_quantiles(&mut a, 1, 2, false)?;
                let num_samples = a
                    .take("num_samples", 3)
                    .map_or(Ok(DEFAULT_NUM_SAMPLES), |v| a.number(v))?;
                let return_params = a
                    .take("return_params", 4)
                    .map_or(Ok(false), |v| a.flag(v))?;
                // NBMM has no correlation options: its `weighted` comes right after.
                let weighted_at = if mixture == "nbmm" { 5 } else { 7 };
                if mixture != "nbmm" {
                    for (key, at) in [("batch_correlation", 5), ("horizon_correlation", 6)] {
                        if let Some(v) = a.take(key, at)
                            && a.flag(v)?
                        {
                            return Err(parse_err(
                                s,
                                format!("{key}=True is not supported (only the default False)"),
                            ));
                        }
                    }
                }
                let weighted = a
                    .take("weighted", weighted_at)
                    .map_or(Ok(false), |v| a.flag(v))?;
                let distribution = match mixture {
                    "gmm" => Distribution::GMM {
                        n_components,
                        weighted,
                    },
                    "pmm" => Distribution::PMM {
                        n_components,
                        weighted,
                    },
                    _ => Distribution::NBMM {
                        n_components,
                        weighted,
                    },
                };
                (
                    Loss::DistributionLoss {
                        distribution,
                        quantiles,
                        num_samples,
                        return_params,
                    },
                    if mixture == "nbmm" {
                        "n_components, level, quantiles, num_samples, return_params, weighted"
                    } else {
                        "n_components, level, quantiles, num_samples, return_params, \
                         batch_correlation, horizon_correlation, weighted"
                    },
                )
            }
            "distributionloss" => {
                let d = a.take("distribution", 0).ok_or_else(|| {
                    parse_err(
                        s,
                        format!("name the distribution: one of {DISTRIBUTION_NAMES}"),
                    )
                })?;
                let mut distribution = Distribution::from_name(unquote(d)).ok_or_else(|| {
                    parse_err(
                        s,
                        format!("unknown distribution {d:?}; expected one of {DISTRIBUTION_NAMES}"),
                    )
                })?;
                let rho = a.take("rho", KEYWORD_ONLY);
                match (&mut distribution, rho) {
                    (Distribution::Tweedie { rho }, Some(v)) => *rho = a.number(v)?,
                    (Distribution::Tweedie { .. }, None) => {
                        return Err(parse_err(
                            s,
                            "Tweedie needs its variance power rho in (1, 2), e.g. \
                             DistributionLoss(Tweedie, rho=1.5)",
                        ));
                    }
                    (_, Some(_)) => {
                        return Err(parse_err(s, "rho is an argument of Tweedie only"));
                    }
                    (_, None) => {}
                }
                let quantiles = interval_quantiles(&mut a, 1, 2, true)?;
                let num_samples = a
                    .take("num_samples", 3)
                    .map_or(Ok(DEFAULT_NUM_SAMPLES), |v| a.number(v))?;
                let return_params = a
                    .take("return_params", 4)
                    .map_or(Ok(false), |v| a.flag(v))?;
                (
                    Loss::DistributionLoss {
                        distribution,
                        quantiles,
                        num_samples,
                        return_params,
                    },
                    "distribution, level, quantiles, num_samples, return_params, rho (Tweedie)",
                )
            }
            _ => {
                return Err(OptimError::UnknownName {
                    kind: "loss",
                    name: s.to_string(),
                    expected: NAMES,
                });
            }
        };
        a.finish(expected)?;
        loss.validate()?;
        Ok(loss)
    }
}

/// The integer levels whose NeuralForecast quantiles are exactly `quantiles`, if any.
fn as_levels(quantiles: &[f32]) -> Option<Vec<u32>> {
    let levels: Vec<u32> = quantiles
        .iter()
        .filter(|&&q| q < 0.5)
        .rev()
        .map(|&q| (100.0 - 200.0 * q as f64).round() as u32)
        .collect();
    (levels_to_quantiles(&levels) == quantiles).then_some(levels)
}

fn write_list<T: std::fmt::Display>(f: &mut std::fmt::Formatter<'_>, xs: &[T]) -> std::fmt::Result {
    f.write_str("[")?;
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{x}")?;
    }
    f.write_str("]")
}

/// `level=[..]` when the quantiles are those of integer levels, else `quantiles=[..]`.
fn write_interval(f: &mut std::fmt::Formatter<'_>, quantiles: &[f32]) -> std::fmt::Result {
    match as_levels(quantiles) {
        Some(l) => {
            f.write_str("level=")?;
            write_list(f, &l)
        }
        None => {
            f.write_str("quantiles=")?;
            write_list(f, quantiles)
        }
    }
}

impl std::fmt::Display for Loss {
    /// NeuralForecast's spelling, readable back with [`FromStr`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loss::MASE { seasonality } => write!(f, "MASE(seasonality={seasonality})"),
            Loss::Huber { delta } => write!(f, "HuberLoss(delta={delta})"),
            Loss::QuantileLoss { q } => write!(f, "QuantileLoss(q={q})"),
            Loss::HuberQLoss { q, delta } => write!(f, "HuberQLoss(q={q}, delta={delta})"),
            Loss::HuberMQLoss { quantiles, delta } => {
                f.write_str("HuberMQLoss(")?;
                write_interval(f, quantiles)?;
                write!(f, ", delta={delta})")
            }
            Loss::MQLoss { quantiles } => {
                f.write_str("MQLoss(")?;
                write_interval(f, quantiles)?;
                f.write_str(")")
            }
            Loss::DistributionLoss {
                distribution,
                quantiles,
                num_samples,
                return_params,
            } => {
                match distribution {
                    Distribution::GMM { n_components, .. }
                    | Distribution::PMM { n_components, .. }
                    | Distribution::NBMM { n_components, .. } => {
                        write!(f, "{}(n_components={n_components}, ", distribution.name())?
                    }
                    _ => write!(f, "DistributionLoss({}, ", distribution.name())?,
                }
                write_interval(f, quantiles)?;
                if *num_samples != DEFAULT_NUM_SAMPLES {
                    write!(f, ", num_samples={num_samples}")?;
                }
                if *return_params {
                    f.write_str(", return_params=True")?;
                }
                match distribution {
                    Distribution::Tweedie { rho } => write!(f, ", rho={rho}")?,
                    Distribution::GMM { weighted: true, .. }
                    | Distribution::PMM { weighted: true, .. }
                    | Distribution::NBMM { weighted: true, .. } => {
                        f.write_str(", weighted=True")?
                    }
                    _ => {}
                }
                f.write_str(")")
            }
            other => f.write_str(other.name()),
        }
    }
}
