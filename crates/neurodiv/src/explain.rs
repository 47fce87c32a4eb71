//! What a fitted TFT looks at: per series, the variable selection weights (static, historical,
//! future) by variable name and the attention of the horizon over the window, from one forward
//! pass on each series' last window (NeuralForecast's `feature_importances()` and
//! `attention_weights()`, per series instead of averaged over the batch).

use crate::{NeuralForecast, NfError};
use neurodiv_core::NeuralModel;
use neurodiv_core::predict::{Origin, forecast};
use neurodiv_core::series::SeriesSet;
use neurodiv_data::PanelFrame;
use serde::Serialize;

/// One variable's selection weight (the weights of a selection network sum to 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariableImportance {
    /// The column name (`observed_target` for the target, `repeated_target` for its last value
    /// standing in for future columns when there are none).
    pub variable: String,
    /// The weight, averaged over the steps the network weighs.
    pub importance: f32,
}

/// The explanation of one series' forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesExplanation {
    /// The series.
    pub unique_id: String,
    /// Static columns (empty without them).
    pub static_importance: Vec<VariableImportance>,
    /// Historical inputs, averaged over the `input_size` steps of the window.
    pub historical_importance: Vec<VariableImportance>,
    /// Future inputs, averaged over the `h` forecast steps.
    pub future_importance: Vec<VariableImportance>,
    /// The timestamps of the window and the horizon, `input_size + h` of them.
    pub ds: Vec<String>,
    /// The attention each of those timestamps receives, averaged over the heads and the `h`
    /// forecast steps (each step's weights sum to 1; later timestamps are masked for earlier
    /// steps, so the horizon's own timestamps get less).
    pub attention: Vec<f32>,
}

/// The explanation of a fitted TFT's forecasts, per series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The model's alias (its column name).
    pub model: String,
    /// Forecast horizon.
    pub h: usize,
    /// Input window.
    pub input_size: usize,
    /// One entry per series of the training data, in its order.
    pub series: Vec<SeriesExplanation>,
}

/// The variable names of a TFT's selection networks (static, historical, future).
#[cfg(feature = "transformer")]
fn variable_names(model: &dyn NeuralModel) -> Result<[Vec<String>; 3], NfError> {
    let config: neurodiv_models_transformer::TFTConfig = serde_json::from_str(&model.config_json())
        .map_err(|e| NfError::Usage(format!("{}: config: {e}", model.alias())))?;
    let v = config.variable_names();
    Ok([v.static_vars, v.historical, v.future])
}

#[cfg(not(feature = "transformer"))]
fn variable_names(model: &dyn NeuralModel) -> Result<[Vec<String>; 3], NfError> {
    Err(NfError::NotExplainable {
        model: model.alias(),
        name: model.name().to_string(),
    })
}

/// `data` `[R, A, V]` averaged over `A` for row `r`, named.
fn mean_rows(data: &[f32], r: usize, a: usize, names: &[String]) -> Vec<VariableImportance> {
    let v = names.len();
    let block = &data[r * a * v..][..a * v];
    names
        .iter()
        .enumerate()
        .map(|(j, name)| VariableImportance {
            variable: name.clone(),
            importance: block.iter().skip(j).step_by(v).sum::<f32>() / a as f32,
        })
        .collect()
}

impl NeuralForecast {
    /// Explains the forecasts of the fitted TFT named `model` (its alias, or its name, in any
    /// case) from the end of every series of the training data, as [`predict`] forecasts them;
    /// `futr_df` as for [`predict`]. A model that is not a TFT gives
    /// [`NfError::NotExplainable`].
    ///
    /// ```
    /// use neurodiv::prelude::*;
    /// let train = neurodiv::datasets::air_passengers()?;
    /// let tft = TFT::new(TFTConfig::new(12, 24).max_steps(3).windows_batch_size(16))?;
    /// let mut nf = NeuralForecast::new(vec![Box::new(tft)], train.freq());
    /// nf.fit(&train, 0)?;
    /// let why = nf.explain("TFT", None)?;
    /// let series = &why.series[0];
    /// for v in &series.historical_importance {
    ///     println!("{}: {:.3}", v.variable, v.importance);
    /// }
    /// assert_eq!(series.attention.len(), 24 + 12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`predict`]: NeuralForecast::predict
    pub fn explain(
        &self,
        model: &str,
        futr_df: Option<&PanelFrame>,
    ) -> Result<Explanation, NfError> {
        let df = self.history().ok_or(neurodiv_core::CoreError::NotFitted)?;
        let m = self
            .models()
            .iter()
            .find(|m| m.alias().eq_ignore_ascii_case(model))
            .or_else(|| {
                self.models()
                    .iter()
                    .find(|m| m.name().eq_ignore_ascii_case(model))
            })
            .ok_or_else(|| {
                let names: Vec<String> = self.models().iter().map(|m| m.alias()).collect();
                NfError::Usage(format!(
                    "no model {model:?} to explain; models: {}",
                    names.join(", ")
                ))
            })?;
        if m.name() != "TFT" {
            return Err(NfError::NotExplainable {
                model: m.alias(),
                name: m.name().to_string(),
            });
        }
        let [stat_names, hist_names, futr_names] = variable_names(m.as_ref())?;
        let b = m.base();
        let (h, l) = (b.h, b.input_size);
        let futr = if b.futr_exog_list.is_empty() {
            None
        } else {
            let f = futr_df.ok_or_else(|| {
                NfError::Usage(format!(
                    "{} uses future exogenous columns {:?}: pass futr_df with their next h values",
                    m.alias(),
                    b.futr_exog_list
                ))
            })?;
            Some(df.align_future(f, h)?)
        };
        let set = SeriesSet::from_frame(df, b, futr.as_ref())?;
        let origins: Vec<Origin> = (0..set.len())
            .map(|series| Origin {
                series,
                cutoff: set.y[series].len(),
            })
            .collect();
        let f = forecast(m.as_ref(), &set, &origins, true)?;
        let extra = |name: &str| f.extras.iter().find(|(n, _)| n == name).map(|(_, t)| t);
        let missing = |name: &str| NfError::Usage(format!("{}: no {name} extra", m.alias()));
        let hist = extra("historical_weights").ok_or_else(|| missing("historical_weights"))?;
        let fut = extra("future_weights").ok_or_else(|| missing("future_weights"))?;
        let attn = extra("attention").ok_or_else(|| missing("attention"))?;
        let stat = extra("static_weights");
        let t = l + h;
        let heads = attn.shape()[1];
        let freq = self.freq();
        let mut series = Vec::with_capacity(origins.len());
        for r in 0..origins.len() {
            let s = df.series(r);
            let last = s.ds.last().expect("validated series are non-empty");
            let ds = (0..t)
                .map(|p| Ok(freq.advance(last, p as i64 - (l as i64 - 1))?.to_string()))
                .collect::<Result<Vec<_>, NfError>>()?;
            // [R, heads, h, T] -> the mean over heads and steps, [T]
            let block = &attn.data()[r * heads * h * t..][..heads * h * t];
            let attention = (0..t)
                .map(|p| block.iter().skip(p).step_by(t).sum::<f32>() / (heads * h) as f32)
                .collect();
            series.push(SeriesExplanation {
                unique_id: s.id.to_string(),
                static_importance: stat
                    .map_or(Vec::new(), |w| mean_rows(w.data(), r, 1, &stat_names)),
                historical_importance: mean_rows(hist.data(), r, l, &hist_names),
                future_importance: mean_rows(fut.data(), r, h, &futr_names),
                ds,
                attention,
            });
        }
        Ok(Explanation {
            model: m.alias(),
            h,
            input_size: l,
            series,
        })
    }
}
