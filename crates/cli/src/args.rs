//! Command-line arguments.

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::path::PathBuf;

/// Parses the command line. Help and version go to stdout (exit 0); an argument error prints
/// one line, `error: ...`, and a hint naming the subcommand's help, and gives exit code 2.
pub fn parse() -> Result<Cli, i32> {
    let e = match Cli::try_parse() {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = crate::output::print(&e.render().to_string());
            return Err(0);
        }
        // `neurodiv` alone: the help is the answer (on stderr, exit 2).
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            crate::output::eprint_line(e.render().to_string().trim_end());
            return Err(2);
        }
        _ => {}
    }
    let (error, hint) = one_line(&e.render().to_string());
    crate::output::eprint_line(&error);
    crate::output::eprint_line(&hint);
    Err(2)
}

/// clap's multi-line error as one `error: ...` line and one `hint: ...` line: the message's
/// first paragraph joined, then clap's tip (if any) and the subcommand's `--help`.
fn one_line(rendered: &str) -> (String, String) {
    let paragraphs: Vec<&str> = rendered.split("\n\n").collect();
    let join = |p: &str| p.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut error = join(paragraphs.first().copied().unwrap_or(""));
    if !error.starts_with("error:") {
        error = format!("error: {error}");
    }
    let tip = paragraphs
        .iter()
        .map(|p| join(p))
        .find_map(|p| p.strip_prefix("tip: ").map(str::to_string));
    // The subcommand given, if any, is the first argument naming one.
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let command = std::env::args()
        .skip(1)
        .find(|a| subcommands.contains(a))
        .map_or("neurodiv".to_string(), |s| format!("neurodiv {s}"));
    let help = format!("see '{command} --help'");
    let hint = match tip {
        Some(tip) => format!("hint: {tip}; {help}"),
        None => format!("hint: {help}"),
    };
    (error, hint)
}

/// Neural time-series forecasting: NeuralForecast's models, natively.
#[derive(Debug, Parser)]
#[command(name = "neurodiv", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit models and forecast (or score a held-out tail with --holdout).
    Forecast(Box<ForecastArgs>),
    /// Fit models and save them.
    Fit(FitArgs),
    /// Forecast with saved models.
    Predict(PredictArgs),
    /// Rolling-origin cross-validation.
    Cv(CvArgs),
    /// List the available models and their options.
    Models(ModelsArgs),
    /// Write the next h timestamps of every series (the frame to fill with future exogenous values).
    Future(FutureArgs),
    /// Score a forecast or cross-validation CSV per series and model (MAE, RMSE, sMAPE, MASE).
    Evaluate(EvaluateArgs),
}

/// Data and model selection shared by the commands that fit.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// CSV in long format (unique_id, ds, y, exogenous columns). Default: AirPassengers, embedded.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// CSV of static features (unique_id, features...).
    #[arg(long = "static")]
    pub static_data: Option<PathBuf>,
    /// Model name as NeuralForecast spells it (case-insensitive), optionally with its own
    /// options: `NHITS:alias=nhits_a,seed=2`. Repeat for several models.
    #[arg(long = "model", default_value = "NHITS")]
    pub models: Vec<String>,
    /// Forecast horizon (default 12, or the --holdout length).
    #[arg(long, allow_negative_numbers = true)]
    pub h: Option<usize>,
    /// Input window length (default: 2 * h); -1 is NeuralForecast's `input_size=-1`, 3 * h.
    #[arg(long, allow_negative_numbers = true)]
    pub input_size: Option<i64>,
    /// Training steps [default: 100, printed when used; the library's own default is the
    /// model's, e.g. 1000 for NHITS].
    #[arg(long, allow_negative_numbers = true)]
    pub max_steps: Option<usize>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long, allow_negative_numbers = true)]
    pub threads: Option<usize>,
    /// Random seed.
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Frequency as pandas spells it (15min, h, D, B, W-MON, MS, ME, QS, QE-NOV, YS, YE, an integer step...); default: inferred.
    #[arg(long)]
    pub freq: Option<String>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Model option `key=value` (value as JSON, e.g. mlp_units=[[256,256]]); `MODEL.key=value`
    /// sets it for one model only. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Points of each series held out for validation and early stopping.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub val_size: usize,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// How data files are read: column names and repairs (each repair prints one line saying what
/// it changed).
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Series id column of the data files.
    #[arg(long, default_value = "unique_id")]
    pub id_col: String,
    /// Timestamp column of the data files.
    #[arg(long, default_value = "ds")]
    pub time_col: String,
    /// Target column of the data file.
    #[arg(long, default_value = "y")]
    pub target_col: String,
    /// Reorder rows out of time order within a series (default: refuse them).
    #[arg(long)]
    pub sort: bool,
    /// Insert missing timestamps, their targets masked (default: refuse gaps).
    #[arg(long)]
    pub fill_gaps: bool,
    /// Mask empty and NaN targets in training, as NeuralForecast's available_mask (default:
    /// refuse them).
    #[arg(long)]
    pub allow_missing: bool,
}

/// `neurodiv forecast`
#[derive(Debug, Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Fit on all but the last N points of each series, forecast them and print the errors.
    #[arg(long, allow_negative_numbers = true)]
    pub holdout: Option<usize>,
    /// Write the forecasts to this CSV (default: print them).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// CSV of future exogenous values (`unique_id, ds, columns...`, h rows per series), for models
    /// with `futr_exog_list` (with --holdout the held-out rows serve).
    #[arg(long)]
    pub futr: Option<PathBuf>,
    /// Draw history and forecasts to an .svg or .png file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// History points drawn before the forecast start (default: 4 horizons).
    #[arg(long, allow_negative_numbers = true)]
    pub plot_history: Option<usize>,
    /// Series to plot (comma-separated ids; default: the first few).
    #[arg(long, value_delimiter = ',')]
    pub plot_ids: Vec<String>,
    /// Write errors and timings per model to this JSON file.
    #[arg(long)]
    pub metrics_json: Option<PathBuf>,
    /// Write what each TFT model looks at to this JSON file: per series, the variable
    /// selection weights by column and the attention over the window (TFT only). A .svg or
    /// .png file gets the selection weights drawn as bar charts instead.
    #[arg(long)]
    pub explain: Option<PathBuf>,
    /// Seasonal period for MASE (default: from the frequency).
    #[arg(long, allow_negative_numbers = true)]
    pub season_length: Option<usize>,
    /// Add a column `Ensemble`: the mean or median of the models' point forecasts.
    #[arg(long, value_parser = ["mean", "median"])]
    pub ensemble: Option<String>,
    #[command(flatten)]
    pub conformal: ConformalArgs,
    #[command(flatten)]
    pub levels: LevelArgs,
}

/// Conformal calibration in `fit` (NeuralForecast's `PredictionIntervals`).
#[derive(Debug, Args)]
pub struct ConformalArgs {
    /// Calibrate conformal prediction intervals for point-loss models on this many
    /// cross-validation windows (at least 2) before the fit.
    #[arg(long, allow_negative_numbers = true)]
    pub conformal_windows: Option<usize>,
    /// conformal_distribution (default) or conformal_error.
    #[arg(long, requires = "conformal_windows")]
    pub conformal_method: Option<String>,
    /// Points between the calibration windows (default 1).
    #[arg(long, requires = "conformal_windows", allow_negative_numbers = true)]
    pub conformal_step: Option<usize>,
}

/// Interval columns asked of `predict` (NeuralForecast's `level` / `quantiles`).
#[derive(Debug, Args)]
pub struct LevelArgs {
    /// Add the prediction interval of this level in (0, 100), e.g. `--level 80 --level 90`:
    /// drawn from a distribution loss, conformal for a point loss (needs conformal windows).
    #[arg(long, allow_negative_numbers = true)]
    pub level: Vec<f32>,
    /// Add these quantiles in (0, 1), comma-separated, instead of levels.
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "level",
        allow_negative_numbers = true
    )]
    pub quantiles: Vec<f32>,
}

/// `neurodiv fit`
#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub conformal: ConformalArgs,
    /// Directory to save the fitted models in.
    #[arg(long)]
    pub save: PathBuf,
    /// Replace an earlier save in the directory (default: refuse it).
    #[arg(long)]
    pub overwrite: bool,
}

/// `neurodiv predict`
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Directory written by `neurodiv fit`.
    #[arg(long)]
    pub load: PathBuf,
    /// New history to forecast from (default: the data the models were fitted on).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// CSV of static features for the new history (unique_id, features...).
    #[arg(long = "static")]
    pub static_data: Option<PathBuf>,
    /// CSV of future exogenous values (`unique_id, ds, columns...`, h rows per series).
    #[arg(long)]
    pub futr: Option<PathBuf>,
    /// Write the forecasts to this CSV (default: print them).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub load_args: LoadArgs,
    #[command(flatten)]
    pub levels: LevelArgs,
}

/// `neurodiv cv`
#[derive(Debug, Args)]
pub struct CvArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Number of forecast windows.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true)]
    pub n_windows: usize,
    /// Distance between window cutoffs (default: h).
    #[arg(long, allow_negative_numbers = true)]
    pub step_size: Option<usize>,
    /// Refit the models before each window.
    #[arg(long)]
    pub refit: bool,
    /// Add a column `Ensemble`: the mean or median of the models' point forecasts.
    #[arg(long, value_parser = ["mean", "median"])]
    pub ensemble: Option<String>,
    /// Write the cross-validation frame to this CSV (default: print it).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `neurodiv models`
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Show the options and defaults of this model.
    pub name: Option<String>,
}

/// `neurodiv future`
#[derive(Debug, Args)]
pub struct FutureArgs {
    /// CSV in long format (unique_id, ds, y, ...). Default: AirPassengers, embedded.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Number of future timestamps per series.
    #[arg(long, default_value_t = 12, allow_negative_numbers = true)]
    pub h: usize,
    /// Frequency as pandas spells it; default: inferred.
    #[arg(long)]
    pub freq: Option<String>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Write the frame to this CSV (default: print it).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `neurodiv evaluate`
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Forecast or cross-validation CSV (unique_id, ds, [cutoff, y,] model columns).
    #[arg(long)]
    pub forecast: PathBuf,
    /// The data: actuals (when the CSV has no y column) and the history MASE scales by; may
    /// include the forecast period. Default: AirPassengers, embedded.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Frequency of the data as pandas spells it; default: inferred.
    #[arg(long)]
    pub freq: Option<String>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Metrics, comma-separated: mae, mse, rmse, mape, smape, mase.
    #[arg(long, value_delimiter = ',', default_value = "mae,rmse,smape,mase")]
    pub metrics: Vec<String>,
    /// Seasonal period of MASE (default: from the frequency).
    #[arg(long, allow_negative_numbers = true)]
    pub season_length: Option<usize>,
    /// Average each metric over the series (utilsforecast's agg_fn="mean").
    #[arg(long)]
    pub mean: bool,
    /// Write the table to this CSV (default: print it).
    #[arg(long)]
    pub out: Option<PathBuf>,
}
