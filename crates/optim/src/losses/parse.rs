//! Reading and printing losses in NeuralForecast's spelling: `MAE`, `MASE(seasonality=12)`,
//! `HuberLoss(delta=0.5)`, `QuantileLoss(q=0.9)`, `MQLoss(level=[80, 90])`,
//! `MQLoss(quantiles=[0.1, 0.5, 0.9])`. Names are case-insensitive; arguments may be given by
//! keyword or position; without arguments the defaults are NeuralForecast's (`delta = 1`,
//! `level = [80, 90]`), plus `seasonality = 1` for MASE and `q = 0.5` for QuantileLoss (which
//! NeuralForecast requires explicitly).

use super::{Loss, levels_to_quantiles};
use crate::OptimError;
use std::str::FromStr;

const NAMES: &str = "MAE, MSE, RMSE, MAPE, SMAPE, MASE, HuberLoss, QuantileLoss, MQLoss";

fn parse_err(input: &str, reason: impl Into<String>) -> OptimError {
    OptimError::Parse {
        kind: "loss",
        input: input.to_string(),
        reason: reason.into(),
    }
}

/// Splits `key=value` (or a bare value) and checks the key.
fn single_arg<'a>(input: &str, args: &'a str, key: &str) -> Result<Option<&'a str>, OptimError> {
    let args = args.trim();
    if args.is_empty() {
        return Ok(None);
    }
    match args.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case(key) => Ok(Some(v.trim())),
        Some((k, _)) => Err(parse_err(
            input,
            format!("unknown argument {:?}; expected {key}", k.trim()),
        )),
        None => Ok(Some(args)),
    }
}

fn number<T: FromStr>(input: &str, v: &str) -> Result<T, OptimError> {
    v.trim()
        .parse()
        .map_err(|_| parse_err(input, format!("{:?} is not a valid number", v.trim())))
}

fn list<T: FromStr>(input: &str, v: &str) -> Result<Vec<T>, OptimError> {
    let v = v.trim();
    let inner = v
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| parse_err(input, format!("{v:?} is not a list like [80, 90]")))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    inner.split(',').map(|x| number(input, x)).collect()
}

fn parse_mq(input: &str, args: &str) -> Result<Loss, OptimError> {
    let args = args.trim();
    if args.is_empty() {
        return Ok(Loss::mq_default());
    }
    let (key, value) = match args.split_once('=') {
        Some((k, v)) => (k.trim().to_ascii_lowercase(), v),
        None => ("level".to_string(), args),
    };
    match key.as_str() {
        "level" => Ok(Loss::mq_from_levels(&list::<u32>(input, value)?)),
        "quantiles" => Ok(Loss::mq_from_quantiles(&list::<f32>(input, value)?)),
        _ => Err(parse_err(
            input,
            format!("unknown argument {key:?}; expected level or quantiles"),
        )),
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
        let no_args = |loss: Loss| {
            if args.trim().is_empty() {
                Ok(loss)
            } else {
                Err(parse_err(s, format!("{} takes no arguments", loss.name())))
            }
        };
        let loss = match name.to_ascii_lowercase().as_str() {
            "mae" => no_args(Loss::MAE)?,
            "mse" => no_args(Loss::MSE)?,
            "rmse" => no_args(Loss::RMSE)?,
            "mape" => no_args(Loss::MAPE)?,
            "smape" => no_args(Loss::SMAPE)?,
            "mase" => Loss::MASE {
                seasonality: single_arg(s, args, "seasonality")?.map_or(Ok(1), |v| number(s, v))?,
            },
            "huberloss" | "huber" => Loss::Huber {
                delta: single_arg(s, args, "delta")?.map_or(Ok(1.0), |v| number(s, v))?,
            },
            "quantileloss" => Loss::QuantileLoss {
                q: single_arg(s, args, "q")?.map_or(Ok(0.5), |v| number(s, v))?,
            },
            "mqloss" => parse_mq(s, args)?,
            _ => {
                return Err(OptimError::UnknownName {
                    kind: "loss",
                    name: s.to_string(),
                    expected: NAMES,
                });
            }
        };
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

impl std::fmt::Display for Loss {
    /// NeuralForecast's spelling, readable back with [`FromStr`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loss::MASE { seasonality } => write!(f, "MASE(seasonality={seasonality})"),
            Loss::Huber { delta } => write!(f, "HuberLoss(delta={delta})"),
            Loss::QuantileLoss { q } => write!(f, "QuantileLoss(q={q})"),
            Loss::MQLoss { quantiles } => match as_levels(quantiles) {
                Some(l) => {
                    f.write_str("MQLoss(level=")?;
                    write_list(f, &l)?;
                    f.write_str(")")
                }
                None => {
                    f.write_str("MQLoss(quantiles=")?;
                    write_list(f, quantiles)?;
                    f.write_str(")")
                }
            },
            other => f.write_str(other.name()),
        }
    }
}
