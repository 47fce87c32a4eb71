//! `NeuralForecast`: several models fitted, used and saved together on one panel.

use crate::ForecastFrame;
use crate::intervals::{ConformalScores, Cuts, Intervals, PredictionIntervals, is_point_head};
use crate::saved_frame::SavedFrame;
use neurodiv_core::predict::{Forecast, Origin, forecast, forecast_with_head};
use neurodiv_core::series::SeriesSet;
use neurodiv_core::train::{FitReport, Progress, Trainer};
use neurodiv_core::{CoreError, NeuralModel, checkpoint, head_for};
use neurodiv_data::{DataError, Freq, PanelFrame};
use neurodiv_nn::ParamStore;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Errors of the facade.
#[derive(Debug, thiserror::Error)]
pub enum NfError {
    /// From training, prediction or checkpoints.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// From the data layer.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A model name the registry does not know.
    #[error("unknown model {name:?}; available: {}", known.join(", "))]
    UnknownModel {
        /// The name given.
        name: String,
        /// The names the registry knows.
        known: Vec<&'static str>,
    },
    /// A model option that does not exist or does not parse.
    #[error("{0}")]
    BadOption(String),
    /// A call that does not fit the state or the inputs.
    #[error("{0}")]
    Usage(String),
    /// Options or a checkpoint asking for a model larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// An explanation asked of a model that gives none (only TFT does).
    #[error(
        "cannot explain {model} (a {name} model): only TFT returns variable importances and attention"
    )]
    NotExplainable {
        /// The model's alias.
        model: String,
        /// Its class name.
        name: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Fits, predicts, cross-validates, saves and loads several models on one panel of series, as
/// Python NeuralForecast's `NeuralForecast` class does.
#[derive(Debug)]
pub struct NeuralForecast {
    models: Vec<Box<dyn NeuralModel>>,
    freq: Freq,
    history: Option<PanelFrame>,
    interrupt: Option<Arc<AtomicBool>>,
    conformal: Option<ConformalScores>,
}

/// The file of a save that holds the conformal calibration, when `fit` made one.
const CONFORMAL_FILE: &str = "conformal.ndiv";

#[derive(Serialize, Deserialize)]
struct SavedModel {
    name: String,
    config_json: String,
    params: ParamStore,
}

#[derive(Serialize, Deserialize)]
struct SavedForecast {
    freq: String,
    n_models: usize,
    history: Option<SavedFrame>,
}

impl NeuralForecast {
    /// Models to be fitted on data of frequency `freq`.
    ///
    /// ```
    /// use neurodiv::prelude::*;
    /// let train = neurodiv::datasets::air_passengers()?;
    /// let models: Vec<Box<dyn NeuralModel>> = vec![
    ///     Box::new(MLP::new(MLPConfig::new(12, 24).max_steps(5))?),
    ///     Box::new(NHITS::new(NHITSConfig::new(12, 24).max_steps(5))?),
    /// ];
    /// let nf = NeuralForecast::new(models, train.freq());
    /// assert_eq!(nf.models().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(models: Vec<Box<dyn NeuralModel>>, freq: Freq) -> Self {
        NeuralForecast {
            models,
            freq,
            history: None,
            interrupt: None,
            conformal: None,
        }
    }

    /// Training (in `fit` and `cross_validation`) stops with [`CoreError::Interrupted`] at the
    /// next step once `flag` is set, e.g. by a Ctrl-C handler or a cancelled JavaScript call.
    /// Like any failed fit, an interrupted one leaves the forecaster as it was: the models keep
    /// the weights they had before the call, and the history and calibration are unchanged.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
    /// let stop = Arc::new(AtomicBool::new(false));
    /// nf.set_interrupt(stop.clone());
    /// stop.store(true, Ordering::Relaxed); // e.g. from a Ctrl-C handler
    /// assert!(nf.fit(&train, 0).is_err()); // stopped at the first step, nothing fitted
    /// assert!(!nf.is_fitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }

    /// Runs `work`, putting the models' weights, the history and the conformal calibration
    /// back as they were when it fails (training changes the weights step by step, and the
    /// calibration of `fit_with_intervals` sets the history before its last fit).
    fn all_or_nothing<T>(
        &mut self,
        work: impl FnOnce(&mut Self) -> Result<T, NfError>,
    ) -> Result<T, NfError> {
        let weights: Vec<ParamStore> = self.models.iter().map(|m| m.params().clone()).collect();
        let (history, conformal) = (self.history.clone(), self.conformal.clone());
        let out = work(self);
        if out.is_err() {
            for (model, params) in self.models.iter_mut().zip(weights) {
                *model.params_mut() = params;
            }
            (self.history, self.conformal) = (history, conformal);
        }
        out
    }

    /// The models.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// let names: Vec<String> = nf.models().iter().map(|m| m.alias()).collect();
    /// assert_eq!(names, ["MLP"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn models(&self) -> &[Box<dyn NeuralModel>] {
        &self.models
    }

    /// The frequency.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// assert_eq!(nf.freq(), train.freq());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn freq(&self) -> Freq {
        self.freq
    }

    /// Whether `fit` has run.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// assert!(!nf.is_fitted());
    /// nf.fit(&train, 0)?;
    /// assert!(nf.is_fitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_fitted(&self) -> bool {
        self.history.is_some()
    }

    /// The data of the last fit.
    pub(crate) fn history(&self) -> Option<&PanelFrame> {
        self.history.as_ref()
    }

    fn check_compatible(&self, df: &PanelFrame) -> Result<(), NfError> {
        if df.freq() != self.freq {
            return Err(NfError::Usage(format!(
                "the data has frequency {} but the models were set up for {}",
                df.freq(),
                self.freq
            )));
        }
        for m in &self.models {
            let (b, c) = (m.base(), m.capabilities());
            for (list, ok, kind) in [
                (&b.futr_exog_list, c.futr_exog, "future"),
                (&b.hist_exog_list, c.hist_exog, "historical"),
                (&b.stat_exog_list, c.stat_exog, "static"),
            ] {
                if !list.is_empty() && !ok {
                    return Err(NfError::Usage(format!(
                        "{} does not take {kind} exogenous columns ({list:?})",
                        m.alias()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Fits every model on `df`, holding out the last `val_size` points of each series for
    /// validation and early stopping.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// // The last 12 points of every series validate (and can stop training early).
    /// let reports = nf.fit(&train, 12)?;
    /// assert_eq!(reports[0].steps, 5);
    /// assert_eq!(reports[0].train_losses.len(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(&mut self, df: &PanelFrame, val_size: usize) -> Result<Vec<FitReport>, NfError> {
        self.fit_with_progress(df, val_size, &mut |_, _| {})
    }

    /// [`fit`](Self::fit) with a callback receiving the model index and the progress of each step.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// let mut last = 0;
    /// nf.fit_with_progress(&train, 0, &mut |model, p| {
    ///     assert_eq!(model, 0);
    ///     last = p.step; // also p.train_loss, p.valid_loss, p.learning_rate
    /// })?;
    /// assert_eq!(last, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit_with_progress(
        &mut self,
        df: &PanelFrame,
        val_size: usize,
        progress: &mut dyn FnMut(usize, &Progress),
    ) -> Result<Vec<FitReport>, NfError> {
        let reports = self.all_or_nothing(|nf| nf.fit_models(df, val_size, progress))?;
        self.history = Some(df.clone());
        self.conformal = None;
        Ok(reports)
    }

    /// [`fit_with_progress`](Self::fit_with_progress), calibrating conformal prediction
    /// intervals first (NeuralForecast's `fit(prediction_intervals=...)`): a cross-validation of
    /// `intervals.n_windows` windows at the end of every series (each model fitted once, before
    /// the first window) records the absolute errors of every point-loss model, then the models
    /// are fitted on the whole of `df`. As in NeuralForecast, that last fit starts from the
    /// weights of the calibration fit. `predict_with` then adds the intervals.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// use neurodiv::ConformalMethod;
    /// let conformal = PredictionIntervals::new(3, ConformalMethod::ConformalDistribution, 1)?;
    /// nf.fit_with_intervals(&train, 0, conformal, &mut |_, _| {})?;
    /// let fc = nf.predict_with(None, None, Some(&Intervals::Level(vec![80.0])))?;
    /// assert!(fc.column("MLP-lo-80").is_some() && fc.column("MLP-hi-80").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit_with_intervals(
        &mut self,
        df: &PanelFrame,
        val_size: usize,
        intervals: PredictionIntervals,
        progress: &mut dyn FnMut(usize, &Progress),
    ) -> Result<Vec<FitReport>, NfError> {
        self.all_or_nothing(|nf| nf.fit_with_intervals_inner(df, val_size, intervals, progress))
    }

    fn fit_with_intervals_inner(
        &mut self,
        df: &PanelFrame,
        val_size: usize,
        intervals: PredictionIntervals,
        progress: &mut dyn FnMut(usize, &Progress),
    ) -> Result<Vec<FitReport>, NfError> {
        intervals.validate()?;
        let h = self.common_h()?;
        let need = intervals.min_points(h, val_size);
        if let Some(i) = (0..df.n_series()).find(|&i| df.series(i).y.len() < need) {
            let s = df.series(i);
            return Err(NfError::Usage(format!(
                "series {:?} has {} points; conformal intervals with {} windows {} apart, h = {h} and val_size = {val_size} need at least {need}",
                s.id,
                s.y.len(),
                intervals.n_windows,
                intervals.step_size
            )));
        }
        let cv = self.cross_validation(
            df,
            intervals.n_windows,
            intervals.step_size,
            val_size,
            false,
        )?;
        let scores = ConformalScores::from_cv(&cv, &self.models, intervals, h)?;
        let reports = self.fit_with_progress(df, val_size, progress)?;
        self.conformal = Some(scores);
        Ok(reports)
    }

    /// The conformal settings of the last fit, if it calibrated intervals.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// # nf.fit(&train, 0)?;
    /// assert!(nf.prediction_intervals().is_none()); // fitted without calibration
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prediction_intervals(&self) -> Option<PredictionIntervals> {
        self.conformal.as_ref().map(|c| c.settings)
    }

    /// Fits every model on `df`; the history stays as it is.
    fn fit_models(
        &mut self,
        df: &PanelFrame,
        val_size: usize,
        progress: &mut dyn FnMut(usize, &Progress),
    ) -> Result<Vec<FitReport>, NfError> {
        self.check_compatible(df)?;
        let mut reports = Vec::with_capacity(self.models.len());
        for (i, model) in self.models.iter_mut().enumerate() {
            let set = SeriesSet::from_frame(df, model.base(), None)?;
            let trainer = Trainer::new(model.as_ref(), &set, val_size)?
                .with_interrupt(self.interrupt.clone());
            reports.push(trainer.run(model.as_mut(), &mut |p| progress(i, p))?);
        }
        Ok(reports)
    }

    /// The frame of future timestamps to fill with future exogenous values (NeuralForecast's
    /// `make_future_dataframe`): the next `h` timestamps of every series of `df`, or of the
    /// training data when `df` is `None`; no target, no exogenous columns.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// # nf.fit(&train, 0)?;
    /// let future = nf.make_future_dataframe(None)?;
    /// assert_eq!(future.len(), 12); // fill its exogenous columns, then pass it to `predict`
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn make_future_dataframe(&self, df: Option<&PanelFrame>) -> Result<PanelFrame, NfError> {
        let h = self.common_h()?;
        let df = match df {
            Some(df) => df,
            None => self.history.as_ref().ok_or(CoreError::NotFitted)?,
        };
        Ok(df.future_frame(h)?)
    }

    /// Forecasts the next `h` points of every series of the training data. `futr_df` holds the
    /// future values of the future exogenous columns when models use them: exactly the next `h`
    /// timestamps of every series (checked by date; its series may come in any order).
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// # nf.fit(&train, 0)?;
    /// let fc = nf.predict(None)?; // unique_id, ds, MLP
    /// assert_eq!(fc.len(), 12);
    /// assert_eq!(fc.ds, test.series(0).ds);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict(&self, futr_df: Option<&PanelFrame>) -> Result<ForecastFrame, NfError> {
        self.predict_with(None, futr_df, None)
    }

    /// Forecasts like [`predict`](Self::predict) (from the end of `df`, or of the training
    /// data when `df` is `None`), with `intervals` (NeuralForecast's `predict(level=...)` or
    /// `predict(quantiles=...)`): a distribution loss reports those quantiles of its draws
    /// instead of its own; a point loss needs conformal calibration
    /// ([`fit_with_intervals`](Self::fit_with_intervals)); a multi-quantile loss keeps its own
    /// columns. The point forecast column comes first; then one column per quantile,
    /// ascending (`-lo-90, -lo-80, -hi-80, -hi-90` for levels 80 and 90; for quantiles
    /// `_ql0.1` from a distribution and `-ql0.1` from conformal intervals, NeuralForecast's
    /// names).
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// // A distribution loss gives any quantiles of its draws.
    /// let normal = MLPConfig::new(12, 24)
    ///     .max_steps(5)
    ///     .loss("DistributionLoss(Normal)".parse()?);
    /// let mut nf = NeuralForecast::new(vec![Box::new(MLP::new(normal)?)], train.freq());
    /// nf.fit(&train, 0)?;
    /// let fc = nf.predict_with(None, None, Some(&Intervals::Quantiles(vec![0.1, 0.9])))?;
    /// assert!(fc.column("MLP_ql0.1").is_some() && fc.column("MLP_ql0.9").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_with(
        &self,
        df: Option<&PanelFrame>,
        futr_df: Option<&PanelFrame>,
        intervals: Option<&Intervals>,
    ) -> Result<ForecastFrame, NfError> {
        let cuts = intervals.map(Intervals::cuts).transpose()?;
        let df = match df {
            Some(df) => df,
            None => self.history.as_ref().ok_or(CoreError::NotFitted)?,
        };
        self.predict_frame(df, futr_df, cuts.as_ref())
    }

    /// Forecasts the next `h` points after the end of every series of `df` (new history for the
    /// fitted models).
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// # nf.fit(&train, 0)?;
    /// // New history (here the whole series): forecasts after its end with the fitted weights.
    /// let whole = neurodiv::datasets::air_passengers()?;
    /// let fc = nf.predict_on(&whole, None)?;
    /// assert_eq!(fc.ds[0], whole.future_frame(1)?.series(0).ds[0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_on(
        &self,
        df: &PanelFrame,
        futr_df: Option<&PanelFrame>,
    ) -> Result<ForecastFrame, NfError> {
        self.predict_frame(df, futr_df, None)
    }

    fn predict_frame(
        &self,
        df: &PanelFrame,
        futr_df: Option<&PanelFrame>,
        cuts: Option<&Cuts>,
    ) -> Result<ForecastFrame, NfError> {
        if !self.is_fitted() {
            return Err(CoreError::NotFitted.into());
        }
        self.check_compatible(df)?;
        let h = self.common_h()?;
        let mut frame = ForecastFrame::default();
        for i in 0..df.n_series() {
            let s = df.series(i);
            let last = s.ds.last().expect("validated series are non-empty");
            for k in 1..=h {
                frame.unique_id.push(s.id.to_string());
                frame.ds.push(self.freq.advance(last, k as i64)?);
            }
        }
        let aligned = futr_df.map(|f| df.align_future(f, h)).transpose()?;
        for model in &self.models {
            let b = model.base();
            let futr = if b.futr_exog_list.is_empty() {
                None
            } else {
                let f = aligned.as_ref().ok_or_else(|| {
                    NfError::Usage(format!("{} uses future exogenous columns {:?}: pass futr_df with their next h values", model.alias(), b.futr_exog_list))
                })?;
                Some(f)
            };
            let set = SeriesSet::from_frame(df, b, futr)?;
            let origins: Vec<Origin> = (0..set.len())
                .map(|series| Origin {
                    series,
                    cutoff: set.y[series].len(),
                })
                .collect();
            let f = match cuts {
                Some(cuts) => self.forecast_intervals(model.as_ref(), &set, &origins, cuts)?,
                None => forecast(model.as_ref(), &set, &origins, false)?,
            };
            push_columns(&mut frame, model.as_ref(), &f);
        }
        Ok(frame)
    }

    /// The forecast of one model at `origins` with the interval columns of `cuts`.
    fn forecast_intervals(
        &self,
        model: &dyn NeuralModel,
        set: &SeriesSet,
        origins: &[Origin],
        cuts: &Cuts,
    ) -> Result<Forecast, NfError> {
        let loss = &model.base().loss;
        if let Some(loss) = loss.with_quantiles(&cuts.quantiles) {
            // A distribution: the same raw outputs, other quantiles of the draws.
            let mut f = forecast_with_head(model, head_for(&loss).as_ref(), set, origins, false)?;
            for (suffix, &q) in f.columns[1..=cuts.quantiles.len()]
                .iter_mut()
                .zip(&cuts.quantiles)
            {
                *suffix = cuts.suffix(q, false);
            }
            return Ok(f);
        }
        let f = forecast(model, set, origins, false)?;
        if !is_point_head(model) {
            return Ok(f); // NeuralForecast: a multi-quantile loss keeps its columns
        }
        let scores = self
            .conformal
            .as_ref()
            .and_then(|c| c.of_model(&model.alias()).map(|s| (c, s)));
        let Some((conformal, by_id)) = scores else {
            return Err(crate::intervals::uncalibrated(model));
        };
        let (h, q) = (f.h, cuts.quantiles.len());
        let mut values = Vec::with_capacity(origins.len() * h * (q + 1));
        for (o, point) in origins.iter().zip(f.values.chunks(h)) {
            let id = &set.ids[o.series];
            let s = by_id.get(id.as_str()).ok_or_else(|| {
                NfError::Usage(format!(
                    "series {id:?} was not in the data the conformal intervals of {} were calibrated on",
                    model.alias()
                ))
            })?;
            let bounds = conformal.bounds(point, s, &cuts.quantiles);
            for (t, &p) in point.iter().enumerate() {
                values.push(p);
                values.extend_from_slice(&bounds[t * q..(t + 1) * q]);
            }
        }
        let mut columns = f.columns;
        columns.extend(cuts.quantiles.iter().map(|&q| cuts.suffix(q, true)));
        Ok(Forecast {
            h,
            columns,
            values,
            extras: Vec::new(),
        })
    }

    fn common_h(&self) -> Result<usize, NfError> {
        let h = self
            .models
            .first()
            .ok_or_else(|| NfError::Usage("no models given".into()))?
            .base()
            .h;
        if let Some(m) = self.models.iter().find(|m| m.base().h != h) {
            return Err(NfError::Usage(format!(
                "all models must share h: {} has h = {} but the first has h = {h}",
                m.alias(),
                m.base().h
            )));
        }
        Ok(h)
    }

    /// Rolling-origin backtest on `df`: `n_windows` forecasts of `h` points whose cutoffs are
    /// `step_size` apart and whose last window ends at the end of each series. Without `refit`,
    /// the models are fitted once on the data before the first cutoff; with it, before each one.
    /// Each fit holds out the last `val_size` points of its training data for validation and
    /// early stopping. The frame has `unique_id, ds, cutoff, y` and the model columns.
    ///
    /// As in NeuralForecast, the models keep the weights of the last fit, and the history is the
    /// whole of `df`: `predict()` afterwards forecasts from the end of every series.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// // Three 12-month windows, fitted once before the first cutoff.
    /// let cv = nf.cross_validation(&train, 3, 12, 0, false)?; // unique_id, ds, cutoff, y, MLP
    /// assert_eq!(cv.len(), 36);
    /// assert!(cv.y.is_some() && cv.cutoff.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cross_validation(
        &mut self,
        df: &PanelFrame,
        n_windows: usize,
        step_size: usize,
        val_size: usize,
        refit: bool,
    ) -> Result<ForecastFrame, NfError> {
        self.all_or_nothing(|nf| {
            nf.cross_validation_inner(df, n_windows, step_size, val_size, refit)
        })
    }

    fn cross_validation_inner(
        &mut self,
        df: &PanelFrame,
        n_windows: usize,
        step_size: usize,
        val_size: usize,
        refit: bool,
    ) -> Result<ForecastFrame, NfError> {
        if n_windows == 0 || step_size == 0 {
            return Err(NfError::Usage(
                "cross_validation needs n_windows >= 1 and step_size >= 1".into(),
            ));
        }
        let h = self.common_h()?;
        let test_size = h + step_size * (n_windows - 1);
        // Cutoffs (first forecast index) per series, oldest first.
        let cutoffs = |len: usize| -> Vec<usize> {
            (0..n_windows)
                .map(|k| len - test_size + k * step_size)
                .collect()
        };
        for i in 0..df.n_series() {
            let s = df.series(i);
            if s.y.len() <= test_size {
                return Err(NfError::Usage(format!(
                    "series {:?} has {} points, too few for {n_windows} windows of h = {h} with step {step_size} (test size {test_size})",
                    s.id,
                    s.y.len()
                )));
            }
        }
        let mut frame = ForecastFrame {
            cutoff: Some(Vec::new()),
            y: Some(Vec::new()),
            ..Default::default()
        };
        for i in 0..df.n_series() {
            let s = df.series(i);
            for c in cutoffs(s.y.len()) {
                for k in 0..h {
                    frame.unique_id.push(s.id.to_string());
                    frame.ds.push(s.ds[c + k]);
                    frame.cutoff.as_mut().expect("set").push(s.ds[c - 1]);
                    frame.y.as_mut().expect("set").push(s.y[c + k]);
                }
            }
        }
        let fits = if refit { n_windows } else { 1 };
        let mut per_window: Vec<Vec<Forecast>> = vec![Vec::new(); self.models.len()]; // [model][window]
        for w in 0..fits {
            let train = df.split_tail(test_size - w * step_size)?.0;
            self.fit_models(&train, val_size, &mut |_, _| {})?;
            for (mi, model) in self.models.iter().enumerate() {
                let set = SeriesSet::from_frame(df, model.base(), None)?;
                let windows: Vec<usize> = if refit {
                    vec![w]
                } else {
                    (0..n_windows).collect()
                };
                for &wi in &windows {
                    let origins: Vec<Origin> = (0..set.len())
                        .map(|series| Origin {
                            series,
                            cutoff: cutoffs(set.y[series].len())[wi],
                        })
                        .collect();
                    per_window[mi].push(forecast(model.as_ref(), &set, &origins, false)?);
                }
            }
        }
        self.history = Some(df.clone());
        // Reorder from [window][series][h, k] to rows [series][window][h].
        for (mi, model) in self.models.iter().enumerate() {
            let n = df.n_series();
            let first = &per_window[mi][0];
            let per_series = h * first.columns.len();
            let mut values = Vec::with_capacity(n * n_windows * per_series);
            for i in 0..n {
                for w in &per_window[mi] {
                    values.extend_from_slice(&w.values[i * per_series..(i + 1) * per_series]);
                }
            }
            let all = Forecast {
                values,
                ..first.clone()
            };
            push_columns(&mut frame, model.as_ref(), &all);
        }
        Ok(frame)
    }

    /// Forecasts of every full window of the training data (cutoffs `input_size`,
    /// `input_size + step_size`, ... up to `len - h`), with `cutoff` and `y` columns.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// # nf.fit(&train, 0)?;
    /// let fitted = nf.predict_insample(12)?; // one forecast of h points every 12 points
    /// assert!(fitted.len() > 0 && fitted.y.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_insample(&self, step_size: usize) -> Result<ForecastFrame, NfError> {
        let history = self.history.as_ref().ok_or(CoreError::NotFitted)?;
        if step_size == 0 {
            return Err(NfError::Usage(
                "predict_insample needs step_size >= 1".into(),
            ));
        }
        let h = self.common_h()?;
        let l = self
            .models
            .iter()
            .map(|m| m.base().input_size)
            .max()
            .unwrap_or(0);
        let mut frame = ForecastFrame {
            cutoff: Some(Vec::new()),
            y: Some(Vec::new()),
            ..Default::default()
        };
        let mut specs = Vec::new();
        for i in 0..history.n_series() {
            let s = history.series(i);
            let mut c = l;
            while c + h <= s.y.len() {
                specs.push((i, c));
                for k in 0..h {
                    frame.unique_id.push(s.id.to_string());
                    frame.ds.push(s.ds[c + k]);
                    frame.cutoff.as_mut().expect("set").push(s.ds[c - 1]);
                    frame.y.as_mut().expect("set").push(s.y[c + k]);
                }
                c += step_size;
            }
        }
        let origins: Vec<Origin> = specs
            .iter()
            .map(|&(series, cutoff)| Origin { series, cutoff })
            .collect();
        for model in &self.models {
            let set = SeriesSet::from_frame(history, model.base(), None)?;
            let f = forecast(model.as_ref(), &set, &origins, false)?;
            push_columns(&mut frame, model.as_ref(), &f);
        }
        Ok(frame)
    }

    /// Saves the fitted models and the training data into directory `dir` (its parents are
    /// created if needed), all or nothing: the files are written into a new directory beside
    /// `dir`, which then takes its place. `dir` may be new or empty; an earlier save is refused
    /// (NeuralForecast's `overwrite=False`; [`save_overwriting`](Self::save_overwriting)
    /// replaces it), and so is any other existing path, so a save never mixes with or deletes
    /// other files.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// # nf.fit(&train, 0)?;
    /// let dir = std::env::temp_dir().join(format!("nd-doc-save-{}", std::process::id()));
    /// nf.save(&dir)?;
    /// assert!(nf.save(&dir).is_err()); // an earlier save is not replaced
    /// let loaded = NeuralForecast::load(&dir)?;
    /// assert_eq!(loaded.predict(None)?.column("MLP"), nf.predict(None)?.column("MLP"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, dir: &Path) -> Result<(), NfError> {
        self.save_to(dir, false)
    }

    /// [`save`](Self::save), replacing an earlier save in `dir` whole (NeuralForecast's
    /// `overwrite=True`); a directory holding other files is still refused.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// # nf.fit(&train, 0)?;
    /// let dir = std::env::temp_dir().join(format!("nd-doc-overwrite-{}", std::process::id()));
    /// nf.save(&dir)?;
    /// nf.fit(&train, 0)?; // trained further
    /// nf.save_overwriting(&dir)?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save_overwriting(&self, dir: &Path) -> Result<(), NfError> {
        self.save_to(dir, true)
    }

    /// Checks, before any work, that [`save`](Self::save) (or with `overwrite`,
    /// [`save_overwriting`](Self::save_overwriting)) may write `dir`; returns whether `dir`
    /// exists.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// let dir = std::env::temp_dir().join(format!("nd-doc-check-{}", std::process::id()));
    /// assert!(!NeuralForecast::check_save_dir(&dir, false)?); // free: does not exist yet
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_save_dir(dir: &Path, overwrite: bool) -> Result<bool, NfError> {
        let (exists, holds_save) = check_save_target(dir)?;
        if holds_save && !overwrite {
            return Err(NfError::Usage(format!(
                "{} holds an earlier save; pass overwrite (--overwrite, save_overwriting) to replace it",
                dir.display()
            )));
        }
        Ok(exists)
    }

    fn save_to(&self, dir: &Path, overwrite: bool) -> Result<(), NfError> {
        let io = |path: &Path, source| NfError::Io {
            path: path.display().to_string(),
            source,
        };
        let name = dir.file_name().ok_or_else(|| {
            NfError::Usage(format!("{}: a save needs a directory name", dir.display()))
        })?;
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let exists = Self::check_save_dir(dir, overwrite)?;
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        let sibling = |what: &str| -> PathBuf {
            parent.join(format!(
                ".{}.{what}-{}",
                name.to_string_lossy(),
                std::process::id()
            ))
        };
        let tmp = sibling("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir(&tmp).map_err(|e| io(&tmp, e))?;
        let result = self.write_files(&tmp).and_then(|()| {
            if !exists {
                return std::fs::rename(&tmp, dir).map_err(|e| io(dir, e));
            }
            // Replace the earlier save: move it aside, move the new one in, then delete it.
            let old = sibling("old");
            let _ = std::fs::remove_dir_all(&old);
            std::fs::rename(dir, &old).map_err(|e| io(dir, e))?;
            if let Err(e) = std::fs::rename(&tmp, dir) {
                let _ = std::fs::rename(&old, dir);
                return Err(io(dir, e));
            }
            let _ = std::fs::remove_dir_all(&old);
            Ok(())
        });
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }

    /// Writes the checkpoint files of [`save`](Self::save) into the existing directory `dir`.
    fn write_files(&self, dir: &Path) -> Result<(), NfError> {
        let write = |path: PathBuf, bytes: Vec<u8>| {
            std::fs::write(&path, bytes).map_err(|source| NfError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        for (i, m) in self.models.iter().enumerate() {
            let saved = SavedModel {
                name: m.name().to_string(),
                config_json: m.config_json(),
                params: m.params().clone(),
            };
            let bytes = checkpoint::encode(&saved).map_err(CoreError::from)?;
            write(dir.join(format!("model-{i}.ndiv")), bytes)?;
        }
        let state = SavedForecast {
            freq: self.freq.to_string(),
            n_models: self.models.len(),
            history: self.history.as_ref().map(SavedFrame::from_frame),
        };
        let bytes = checkpoint::encode(&state).map_err(CoreError::from)?;
        write(dir.join("neuralforecast.ndiv"), bytes)?;
        if let Some(c) = &self.conformal {
            let bytes = checkpoint::encode(c).map_err(CoreError::from)?;
            write(dir.join(CONFORMAL_FILE), bytes)?;
        }
        Ok(())
    }

    /// Loads what [`save`](Self::save) wrote.
    ///
    /// ```
    /// # use neurodiv::prelude::*;
    /// # let (train, test) = neurodiv::datasets::air_passengers()?.split_tail(12)?;
    /// # let mlp = || MLP::new(MLPConfig::new(12, 24).max_steps(5));
    /// # let mut nf = NeuralForecast::new(vec![Box::new(mlp()?)], train.freq());
    /// # nf.fit(&train, 0)?;
    /// let dir = std::env::temp_dir().join(format!("nd-doc-load-{}", std::process::id()));
    /// nf.save(&dir)?;
    /// let served = NeuralForecast::load(&dir)?; // in another process, on another machine
    /// assert!(served.is_fitted());
    /// assert_eq!(served.predict(None)?.column("MLP"), nf.predict(None)?.column("MLP"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(dir: &Path) -> Result<Self, NfError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| NfError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        let state: SavedForecast = checkpoint::decode(&read(&dir.join("neuralforecast.ndiv"))?)
            .map_err(CoreError::from)?;
        let freq: Freq = state.freq.parse().map_err(|_| {
            NfError::Usage(format!("saved frequency {:?} is not valid", state.freq))
        })?;
        let mut models = Vec::new(); // n_models is untrusted: no capacity from it
        for i in 0..state.n_models {
            let path = dir.join(format!("model-{i}.ndiv"));
            let saved: SavedModel = checkpoint::decode(&read(&path)?).map_err(CoreError::from)?;
            let model =
                crate::registry::from_checkpoint(&saved.name, &saved.config_json, &saved.params)
                    .map_err(|e| NfError::Usage(format!("{}: {e}", path.display())))?;
            models.push(model);
        }
        let history = state.history.map(SavedFrame::into_frame).transpose()?;
        let conformal_path = dir.join(CONFORMAL_FILE);
        let conformal = if conformal_path.exists() {
            let c: ConformalScores =
                checkpoint::decode(&read(&conformal_path)?).map_err(CoreError::from)?;
            c.check()
                .map_err(|e| NfError::Usage(format!("{}: {e}", conformal_path.display())))?;
            Some(c)
        } else {
            None
        };
        Ok(NeuralForecast {
            models,
            freq,
            history,
            interrupt: None,
            conformal,
        })
    }
}

/// Whether `dir` exists and whether it holds an earlier save, after checking that a save may
/// take its place: it must be absent, an empty directory, or a directory holding only the files
/// of a save.
fn check_save_target(dir: &Path) -> Result<(bool, bool), NfError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !dir.exists() => {
            return Ok((false, false));
        }
        Err(e) => {
            return Err(NfError::Io {
                path: dir.display().to_string(),
                source: e,
            });
        }
    };
    let is_save_file = |name: &str| {
        name == "neuralforecast.ndiv"
            || name == CONFORMAL_FILE
            || name
                .strip_prefix("model-")
                .and_then(|n| n.strip_suffix(".ndiv"))
                .is_some_and(|i| i.parse::<usize>().is_ok())
    };
    let mut holds_save = false;
    for entry in entries {
        let entry = entry.map_err(|e| NfError::Io {
            path: dir.display().to_string(),
            source: e,
        })?;
        holds_save = true;
        let file = entry.file_type().is_ok_and(|t| t.is_file());
        if !file || !entry.file_name().to_str().is_some_and(is_save_file) {
            return Err(NfError::Usage(format!(
                "{} exists and holds other files than a saved model ({:?}); choose a new directory",
                dir.display(),
                entry.file_name()
            )));
        }
    }
    Ok((true, holds_save))
}

/// Appends the columns of one model's forecast, named after its alias and the head's suffixes.
fn push_columns(frame: &mut ForecastFrame, model: &dyn NeuralModel, f: &Forecast) {
    for (j, suffix) in f.columns.iter().enumerate() {
        frame
            .columns
            .push((format!("{}{suffix}", model.alias()), f.column(j)));
    }
}
