//! The native addon of the `neurodiv` npm package (`crates/node`).
//!
//! It holds no forecasting logic of its own: models are built by the facade's registry from a
//! name and options, data become a validated `PanelFrame`, and fit, predict, cross-validation,
//! save and load are the facade's `NeuralForecast`. What this crate adds is the boundary: typed
//! arrays in and out, the library's work on the libuv thread pool (napi async tasks, so the
//! event loop keeps running), progress through a threadsafe function, cancellation through a
//! flag the trainer checks between steps, and the library's errors as JavaScript `Error`s with
//! its message and a `code` (see [`Failure::code`]). A panic never crosses into Node: every
//! entry point and every task catches it and rejects with `ERR_INTERNAL`.
//!
//! The JavaScript side (`crates/node/npm/index.js`) takes the object-of-columns (or Apache
//! Arrow) frames apart and puts the results together.

use napi::JsValue;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use neurodiv::core::CoreError;
use neurodiv::data::{DataError, Ds, Freq, PanelFrame, StaticFrame};
use neurodiv::optim::Loss;
use neurodiv::{ForecastFrame, Intervals, NeuralForecast, NfError, PredictionIntervals, registry};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// A library error on its way to JavaScript: the `code` the `Error` gets and its message.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `ERR_INVALID_DATA`, `ERR_CONFIG`, `ERR_CHECKPOINT`, `ERR_CANCELLED`, ...
    pub code: &'static str,
    /// The library's message.
    pub message: String,
}

impl Failure {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    fn data(message: impl Into<String>) -> Self {
        Failure::new("ERR_INVALID_DATA", message)
    }

    fn usage(message: impl Into<String>) -> Self {
        Failure::new("ERR_USAGE", message)
    }

    /// The `code` of a library error: what the caller has to change.
    pub fn code(e: &NfError) -> &'static str {
        use NfError as N;
        match e {
            N::Data(d) | N::Core(CoreError::Data(d)) => match d {
                DataError::Io { .. } => "ERR_IO",
                _ => "ERR_INVALID_DATA",
            },
            N::Core(CoreError::Incompatible(_)) => "ERR_INVALID_DATA",
            // A backbone folder that cannot be read as GPT-2: the `llm` option must change.
            N::Core(
                CoreError::Config { .. } | CoreError::Optim(_) | CoreError::Backbone { .. },
            )
            | N::UnknownModel { .. }
            | N::BadOption(_)
            | N::TooLarge(_) => "ERR_CONFIG",
            N::Core(CoreError::Checkpoint(_)) => "ERR_CHECKPOINT",
            N::Core(CoreError::Interrupted) => "ERR_CANCELLED",
            N::Core(CoreError::Diverged { .. }) => "ERR_DIVERGED",
            N::Core(CoreError::NotFitted) => "ERR_NOT_FITTED",
            N::Io { .. } | N::Core(CoreError::Io { .. }) => "ERR_IO",
            N::Usage(_) | N::NotExplainable { .. } => "ERR_USAGE",
        }
    }
}

impl From<NfError> for Failure {
    fn from(e: NfError) -> Self {
        Failure::new(Failure::code(&e), e.to_string())
    }
}

impl From<DataError> for Failure {
    fn from(e: DataError) -> Self {
        NfError::from(e).into()
    }
}

/// A JavaScript `Error` with `failure`'s message and `code`, as a napi error that throws (or
/// rejects with) that very object.
fn js_error(env: &Env, failure: &Failure) -> Error {
    let make = || -> Result<Error> {
        let mut error = env.create_error(Error::from_reason(failure.message.clone()))?;
        error.set_named_property("code", failure.code)?;
        Ok(Error::from(error.to_unknown()))
    };
    make().unwrap_or_else(|e| e)
}

/// Runs `work`, turning a panic into an `ERR_INTERNAL` failure.
fn guarded<T>(
    work: impl FnOnce() -> std::result::Result<T, Failure>,
) -> std::result::Result<T, Failure> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Failure::new(
            "ERR_INTERNAL",
            format!("internal error (please report it): {what}"),
        ))
    })
}

/// A synchronous entry point: `work` guarded, its failure thrown as a coded `Error`.
fn sync<T>(env: &Env, work: impl FnOnce() -> std::result::Result<T, Failure>) -> Result<T> {
    guarded(work).map_err(|f| js_error(env, &f))
}

fn parse_freq(freq: &str) -> std::result::Result<Freq, Failure> {
    freq.parse::<Freq>()
        .map_err(|e| Failure::new("ERR_CONFIG", format!("freq {freq:?}: {e}")))
}

/// A non-negative integer option from a JavaScript number.
fn count(name: &str, value: f64, least: f64) -> std::result::Result<usize, Failure> {
    if value.fract() != 0.0 || value < least || value > u32::MAX as f64 {
        return Err(Failure::new(
            "ERR_CONFIG",
            format!("{name} must be an integer of at least {least}, got {value}"),
        ));
    }
    Ok(value as usize)
}

/// The work of one async call: run on the libuv pool by [`Task::compute`], guarded against
/// panics; a failure rejects the promise with a coded `Error`.
pub struct Job<T: Send + 'static> {
    work: Option<Box<dyn FnOnce() -> std::result::Result<T, Failure> + Send>>,
    failure: Option<Failure>,
}

impl<T: Send + 'static> std::fmt::Debug for Job<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("pending", &self.work.is_some())
            .field("failure", &self.failure)
            .finish()
    }
}

impl<T: Send + 'static> Job<T> {
    fn new(work: impl FnOnce() -> std::result::Result<T, Failure> + Send + 'static) -> Self {
        Job {
            work: Some(Box::new(work)),
            failure: None,
        }
    }
}

impl<T: Send + ToNapiValue + TypeName + 'static> Task for Job<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> Result<T> {
        let work = self
            .work
            .take()
            .ok_or_else(|| Error::from_reason("task ran twice"))?;
        guarded(work).map_err(|f| {
            let message = f.message.clone();
            self.failure = Some(f);
            Error::from_reason(message)
        })
    }

    fn resolve(&mut self, _env: Env, output: T) -> Result<T> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<T> {
        match &self.failure {
            Some(f) => Err(js_error(&env, f)),
            None => Err(err),
        }
    }
}

/// The names of every model the registry holds, as NeuralForecast spells them.
#[napi]
pub fn model_names() -> Vec<String> {
    registry::model_names()
        .into_iter()
        .map(String::from)
        .collect()
}

/// A model's default options for `h` and `input_size`, as JSON.
#[napi]
pub fn default_config(env: Env, name: String, h: u32, input_size: u32) -> Result<String> {
    sync(&env, || {
        Ok(registry::default_config(&name, h as usize, input_size as usize)?.to_string())
    })
}

/// The full config (JSON) of model `name` with `keys[i] = values[i]` (a value as JSON or a
/// loss's NeuralForecast spelling) over its defaults for `h` and `input_size`: checked as the
/// command line checks `--set` and by building the model once.
#[napi]
pub fn model_config(
    env: Env,
    name: String,
    h: u32,
    input_size: u32,
    keys: Vec<String>,
    values: Vec<String>,
) -> Result<String> {
    sync(&env, || {
        if keys.len() != values.len() {
            return Err(Failure::usage("one value per option key is needed"));
        }
        let (h, input_size) = (h as usize, input_size as usize);
        let options: Vec<(String, String)> = keys.into_iter().zip(values).collect();
        let config = registry::config(&name, h, input_size, &options)?;
        registry::check_option_shapes(&name, h, input_size, &options, &config)?;
        registry::build_config(&name, &config)?;
        Ok(config.to_string())
    })
}

/// A loss in NeuralForecast's spelling (`MQLoss(level=[80, 90])`), checked and written back in
/// its canonical form.
#[napi]
pub fn loss_text(env: Env, text: String) -> Result<String> {
    sync(&env, || {
        text.parse::<Loss>()
            .map(|l| l.to_string())
            .map_err(|e| Failure::new("ERR_CONFIG", e.to_string()))
    })
}

/// The CSV text of AirPassengers (`unique_id, ds, y`), embedded in the library.
#[napi]
pub fn air_passengers_csv() -> &'static str {
    neurodiv::datasets::AIR_PASSENGERS_CSV
}

/// A validated panel (or future frame), opaque to JavaScript.
#[napi]
#[derive(Debug)]
pub struct Panel {
    frame: Arc<PanelFrame>,
}

/// The columns of a frame, as the JavaScript side hands them over.
#[napi(object)]
pub struct PanelColumns {
    /// Each series' id once.
    pub ids: Vec<String>,
    /// The series of each row (an index into `ids`).
    pub codes: Uint32Array,
    /// `"date"` (milliseconds since the epoch in `ds_number`), `"int"` (integers in
    /// `ds_number`) or `"text"` (`ds_text`, parsed as the CSV reader parses dates).
    pub ds_kind: String,
    pub ds_number: Option<Float64Array>,
    pub ds_text: Option<Vec<String>>,
    /// The target; none for a future frame.
    pub y: Option<Float64Array>,
    pub exog_names: Vec<String>,
    pub exog: Vec<Float64Array>,
    pub freq: String,
    /// The time column's name, for messages.
    pub time_col: String,
    /// Static features: names, each series' id, and `[n_ids * n_names]` values, row-major.
    pub static_names: Option<Vec<String>>,
    pub static_ids: Option<Vec<String>>,
    pub static_values: Option<Float64Array>,
}

impl std::fmt::Debug for PanelColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelColumns")
            .field("rows", &self.codes.len())
            .field("ids", &self.ids)
            .field("ds_kind", &self.ds_kind)
            .field("exog_names", &self.exog_names)
            .field("freq", &self.freq)
            .finish_non_exhaustive()
    }
}

fn timestamps(c: &PanelColumns) -> std::result::Result<Vec<Ds>, Failure> {
    let column = &c.time_col;
    let bad = |row: usize, what: &str| {
        Failure::data(format!("column `{column}` has {what} at row {row}"))
    };
    match (c.ds_kind.as_str(), &c.ds_number, &c.ds_text) {
        ("int", Some(v), _) => v
            .iter()
            .enumerate()
            .map(|(row, &x)| {
                (x.fract() == 0.0 && x.abs() < 9.0e15)
                    .then_some(Ds::Int(x as i64))
                    .ok_or_else(|| bad(row, &format!("the non-integer time {x}")))
            })
            .collect(),
        ("date", Some(v), _) => v
            .iter()
            .enumerate()
            .map(|(row, &ms)| {
                let date = (ms.is_finite() && ms.fract() == 0.0)
                    .then(|| chrono::DateTime::from_timestamp_millis(ms as i64))
                    .flatten();
                date.map(|d| Ds::Date(d.naive_utc()))
                    .ok_or_else(|| bad(row, "an invalid Date"))
            })
            .collect(),
        ("text", _, Some(v)) => v
            .iter()
            .enumerate()
            .map(|(row, s)| {
                Ds::parse(s).ok_or_else(|| bad(row, &format!("the unreadable time {s:?}")))
            })
            .collect(),
        _ => Err(Failure::usage(format!(
            "column `{column}`: ds_kind {:?} without its values",
            c.ds_kind
        ))),
    }
}

fn to_f32(values: &[f64]) -> Vec<f32> {
    values.iter().map(|&v| v as f32).collect()
}

/// Builds a [`Panel`] from the columns of a frame; `future` for a future frame (no target).
#[napi]
pub fn make_panel(env: Env, columns: PanelColumns) -> Result<Panel> {
    sync(&env, || {
        let c = &columns;
        let freq = parse_freq(&c.freq)?;
        let ds = timestamps(c)?;
        let rows = c
            .codes
            .iter()
            .map(|&code| {
                c.ids
                    .get(code as usize)
                    .cloned()
                    .ok_or_else(|| Failure::usage(format!("series code {code} names no id")))
            })
            .collect::<std::result::Result<Vec<String>, Failure>>()?;
        if c.exog.len() != c.exog_names.len() {
            return Err(Failure::usage("one name per exogenous column is needed"));
        }
        let exog: Vec<(String, Vec<f32>)> = c
            .exog_names
            .iter()
            .zip(&c.exog)
            .map(|(n, v)| (n.clone(), to_f32(v)))
            .collect();
        let mut frame = match &c.y {
            Some(y) => PanelFrame::from_columns(rows, ds, to_f32(y), exog, Some(freq)),
            None => PanelFrame::future_from_columns(rows, ds, exog, Some(freq)),
        }?;
        if let (Some(names), Some(ids), Some(values)) =
            (&c.static_names, &c.static_ids, &c.static_values)
        {
            let k = names.len();
            if values.len() != ids.len() * k {
                return Err(Failure::usage("static values must be n_ids * n_names"));
            }
            let rows = ids
                .iter()
                .enumerate()
                .map(|(r, id)| (id.clone(), to_f32(&values[r * k..(r + 1) * k])))
                .collect();
            frame = frame.with_static(StaticFrame::from_rows(names.clone(), rows)?)?;
        }
        Ok(Panel {
            frame: Arc::new(frame),
        })
    })
}

/// Fails with the library's missing-column error when a name of `required` is not among
/// `available` (the frame's columns).
#[napi]
pub fn require_columns(env: Env, required: Vec<String>, available: Vec<String>) -> Result<()> {
    sync(&env, || {
        match required.into_iter().find(|c| !available.contains(c)) {
            Some(column) => Err(DataError::MissingColumn { column, available }.into()),
            None => Ok(()),
        }
    })
}

/// A flag that stops a running fit (or cross-validation) at the trainer's next step: the call
/// then rejects with `ERR_CANCELLED` and the models keep nothing of it.
#[napi]
#[derive(Debug, Default)]
pub struct CancelToken {
    flag: Arc<AtomicBool>,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Asks the running work to stop.
    #[napi]
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether `cancel` was called.
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

/// What the progress callback receives after each training step.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ProgressInfo {
    /// The index of the model being trained (in the order given).
    pub model: u32,
    pub step: u32,
    pub max_steps: u32,
    pub train_loss: f64,
    pub valid_loss: Option<f64>,
    /// The learning rate this step used (after the schedule and warm-up).
    pub learning_rate: f64,
}

type ProgressFn = ThreadsafeFunction<ProgressInfo, (), ProgressInfo, Status, false>;

/// A forecast frame, as columns: one id per row, `ds` (and `cutoff`) as milliseconds since the
/// epoch or integers (`ds_is_int`), `y` when the frame has it, and the model columns.
#[napi(object)]
pub struct FrameColumns {
    pub unique_id: Vec<String>,
    pub ds: Float64Array,
    pub ds_is_int: bool,
    pub cutoff: Option<Float64Array>,
    pub y: Option<Float64Array>,
    pub column_names: Vec<String>,
    pub columns: Vec<Float64Array>,
}

impl std::fmt::Debug for FrameColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameColumns")
            .field("rows", &self.unique_id.len())
            .field("column_names", &self.column_names)
            .finish_non_exhaustive()
    }
}

fn ds_number(d: &Ds) -> f64 {
    match d {
        Ds::Int(i) => *i as f64,
        Ds::Date(d) => d.and_utc().timestamp_millis() as f64,
    }
}

fn to_columns(frame: ForecastFrame) -> FrameColumns {
    let numbers = |ds: &[Ds]| Float64Array::new(ds.iter().map(ds_number).collect());
    let f64s = |v: &[f32]| Float64Array::new(v.iter().map(|&x| x as f64).collect());
    FrameColumns {
        ds_is_int: frame.ds.first().is_some_and(Ds::is_int),
        ds: numbers(&frame.ds),
        cutoff: frame.cutoff.as_deref().map(numbers),
        y: frame.y.as_deref().map(f64s),
        column_names: frame.columns.iter().map(|c| c.0.clone()).collect(),
        columns: frame.columns.iter().map(|c| f64s(&c.1)).collect(),
        unique_id: frame.unique_id,
    }
}

/// Options of [`Forecaster::fit`].
#[napi(object)]
#[derive(Debug)]
pub struct FitOptions {
    pub val_size: Option<u32>,
    /// Conformal calibration (NeuralForecast's `PredictionIntervals`).
    pub intervals_windows: Option<u32>,
    pub intervals_method: Option<String>,
    pub intervals_step_size: Option<u32>,
}

/// The facade's `NeuralForecast`, its models built by the registry. Fit and cross-validation
/// hold it exclusively; predict and save share it; a call that would wait for another one
/// fails with `ERR_BUSY` instead of blocking a pool thread.
#[napi]
#[derive(Debug)]
pub struct Forecaster {
    nf: Arc<RwLock<NeuralForecast>>,
}

fn busy() -> Failure {
    Failure::new(
        "ERR_BUSY",
        "this NeuralForecast is running another call (fit, predict, crossValidation or save): await it first",
    )
}

/// The progress callback of a fit, reporting without blocking the training thread.
fn reporter(
    progress: Option<Arc<ProgressFn>>,
) -> impl FnMut(usize, &neurodiv::core::train::Progress) {
    move |model, p| {
        if let Some(f) = &progress {
            f.call(
                ProgressInfo {
                    model: model as u32,
                    step: p.step as u32,
                    max_steps: p.max_steps as u32,
                    train_loss: p.train_loss as f64,
                    valid_loss: p.valid_loss.map(f64::from),
                    learning_rate: p.learning_rate as f64,
                },
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }
    }
}

#[napi]
impl Forecaster {
    /// `names[i]` with config JSON `configs[i]`; `freq` a pandas alias or an integer step.
    #[napi(constructor)]
    pub fn new(env: Env, names: Vec<String>, configs: Vec<String>, freq: String) -> Result<Self> {
        sync(&env, || {
            let freq = parse_freq(&freq)?;
            if names.is_empty() || names.len() != configs.len() {
                return Err(Failure::new(
                    "ERR_CONFIG",
                    "NeuralForecast needs at least one model",
                ));
            }
            let built = names
                .iter()
                .zip(&configs)
                .map(|(name, json)| registry::from_config_json(name, json))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let aliases: Vec<String> = built.iter().map(|m| m.alias()).collect();
            if let Some(dup) = aliases
                .iter()
                .enumerate()
                .find_map(|(i, a)| aliases[..i].contains(a).then_some(a))
            {
                return Err(Failure::new(
                    "ERR_CONFIG",
                    format!("two models are called {dup}: give each its own alias (alias: '...')"),
                ));
            }
            Ok(Forecaster {
                nf: Arc::new(RwLock::new(NeuralForecast::new(built, freq))),
            })
        })
    }

    /// The frequency, as pandas spells it.
    #[napi(getter)]
    pub fn freq(&self, env: Env) -> Result<String> {
        sync(&env, || {
            Ok(self.nf.try_read().map_err(|_| busy())?.freq().to_string())
        })
    }

    /// Whether fit (or cross-validation) has run.
    #[napi(getter)]
    pub fn is_fitted(&self, env: Env) -> Result<bool> {
        sync(&env, || {
            Ok(self.nf.try_read().map_err(|_| busy())?.is_fitted())
        })
    }

    /// Each model's name and config JSON, as `[name, json]` pairs.
    #[napi]
    pub fn models(&self, env: Env) -> Result<Vec<Vec<String>>> {
        sync(&env, || {
            let nf = self.nf.try_read().map_err(|_| busy())?;
            Ok(nf
                .models()
                .iter()
                .map(|m| vec![m.name().to_string(), m.config_json()])
                .collect())
        })
    }

    /// Fits every model on `df`; `progress` receives each step, `cancel` stops the fit at the
    /// next step (`ERR_CANCELLED`, and the forecaster stays as it was before the call).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn fit(
        &self,
        df: &Panel,
        options: FitOptions,
        progress: Option<ProgressFn>,
        cancel: Option<&CancelToken>,
    ) -> AsyncTask<Job<()>> {
        let (nf, frame) = (self.nf.clone(), df.frame.clone());
        let flag = cancel.map(|c| c.flag.clone()).unwrap_or_default();
        let progress = progress.map(Arc::new);
        AsyncTask::new(Job::new(move || {
            let val_size = options.val_size.unwrap_or(0) as usize;
            let intervals = match options.intervals_windows {
                None => None,
                Some(n) => {
                    let method = options
                        .intervals_method
                        .as_deref()
                        .unwrap_or("conformal_distribution")
                        .parse()?;
                    let step = options.intervals_step_size.unwrap_or(1) as usize;
                    Some(PredictionIntervals::new(n as usize, method, step)?)
                }
            };
            let mut nf = nf.try_write().map_err(|_| busy())?;
            // A cancelled or failed fit leaves the forecaster as it was (the orchestrator's
            // all-or-nothing fit).
            nf.set_interrupt(flag);
            let mut report = reporter(progress);
            match intervals {
                Some(pi) => nf.fit_with_intervals(&frame, val_size, pi, &mut report),
                None => nf.fit_with_progress(&frame, val_size, &mut report),
            }?;
            Ok(())
        }))
    }

    /// Forecasts after the training data, or after `df` when given; `level` or `quantiles`
    /// (not both) add interval columns.
    #[napi(ts_return_type = "Promise<FrameColumns>")]
    pub fn predict(
        &self,
        df: Option<&Panel>,
        futr_df: Option<&Panel>,
        level: Option<Vec<f64>>,
        quantiles: Option<Vec<f64>>,
    ) -> AsyncTask<Job<FrameColumns>> {
        let nf = self.nf.clone();
        let df = df.map(|d| d.frame.clone());
        let futr = futr_df.map(|d| d.frame.clone());
        AsyncTask::new(Job::new(move || {
            let intervals = match (level, quantiles) {
                (Some(_), Some(_)) => {
                    return Err(Failure::usage("You can't set both level and quantiles."));
                }
                (Some(l), None) => Some(Intervals::Level(l.iter().map(|&v| v as f32).collect())),
                (None, Some(q)) => {
                    Some(Intervals::Quantiles(q.iter().map(|&v| v as f32).collect()))
                }
                (None, None) => None,
            };
            let nf = nf.try_read().map_err(|_| busy())?;
            let frame = nf.predict_with(df.as_deref(), futr.as_deref(), intervals.as_ref())?;
            Ok(to_columns(frame))
        }))
    }

    /// Rolling-origin backtest (NeuralForecast's `cross_validation`).
    #[napi(ts_return_type = "Promise<FrameColumns>")]
    pub fn cross_validation(
        &self,
        df: &Panel,
        n_windows: f64,
        step_size: f64,
        val_size: f64,
        refit: bool,
        cancel: Option<&CancelToken>,
    ) -> AsyncTask<Job<FrameColumns>> {
        let (nf, frame) = (self.nf.clone(), df.frame.clone());
        let flag = cancel.map(|c| c.flag.clone()).unwrap_or_default();
        AsyncTask::new(Job::new(move || {
            let n_windows = count("nWindows", n_windows, 1.0)?;
            let step_size = count("stepSize", step_size, 1.0)?;
            let val_size = count("valSize", val_size, 0.0)?;
            let mut nf = nf.try_write().map_err(|_| busy())?;
            nf.set_interrupt(flag);
            let cv = nf.cross_validation(&frame, n_windows, step_size, val_size, refit)?;
            Ok(to_columns(cv))
        }))
    }

    /// Forecasts of every full window of the training data.
    #[napi(ts_return_type = "Promise<FrameColumns>")]
    pub fn predict_insample(&self, step_size: f64) -> AsyncTask<Job<FrameColumns>> {
        let nf = self.nf.clone();
        AsyncTask::new(Job::new(move || {
            let step_size = count("stepSize", step_size, 1.0)?;
            let nf = nf.try_read().map_err(|_| busy())?;
            Ok(to_columns(nf.predict_insample(step_size)?))
        }))
    }

    /// Saves into directory `path` (all or nothing); an earlier save is replaced only with
    /// `overwrite`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn save(&self, path: String, overwrite: bool) -> AsyncTask<Job<()>> {
        let nf = self.nf.clone();
        AsyncTask::new(Job::new(move || {
            let nf = nf.try_read().map_err(|_| busy())?;
            let path = PathBuf::from(path);
            if overwrite {
                nf.save_overwriting(&path)?;
            } else {
                nf.save(&path)?;
            }
            Ok(())
        }))
    }

    /// Loads what `save` (or the command line's `neurodiv fit --save`) wrote.
    #[napi(ts_return_type = "Promise<Forecaster>")]
    pub fn load(path: String) -> AsyncTask<Job<Forecaster>> {
        AsyncTask::new(Job::new(move || {
            let nf = NeuralForecast::load(&PathBuf::from(path))?;
            Ok(Forecaster {
                nf: Arc::new(RwLock::new(nf)),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_library_errors() {
        let code = |e: NfError| Failure::from(e).code;
        assert_eq!(code(CoreError::Interrupted.into()), "ERR_CANCELLED");
        assert_eq!(code(CoreError::NotFitted.into()), "ERR_NOT_FITTED");
        assert_eq!(code(NfError::BadOption("x".into())), "ERR_CONFIG");
        let missing = DataError::MissingColumn {
            column: "y".into(),
            available: vec![],
        };
        assert_eq!(code(missing.into()), "ERR_INVALID_DATA");
        let bad = registry::from_config_json("MLP", "{not json").unwrap_err();
        assert_eq!(code(bad), "ERR_CONFIG");
    }

    #[test]
    fn a_panic_becomes_an_internal_failure() {
        let r: std::result::Result<(), Failure> = guarded(|| panic!("boom"));
        let f = r.unwrap_err();
        assert_eq!(f.code, "ERR_INTERNAL");
        assert!(f.message.contains("boom"), "{}", f.message);
    }
}
