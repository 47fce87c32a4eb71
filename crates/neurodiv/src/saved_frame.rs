//! The training data as stored in a saved `NeuralForecast`: plain columns, validated again on
//! load through the frame's own constructors (a checkpoint is never trusted to hold a valid frame).

use neurodiv_data::{DataError, Ds, Freq, PanelFrame, Repairs, StaticFrame};
use serde::{Deserialize, Serialize};

/// A panel frame as long-format columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SavedFrame {
    ids: Vec<String>,
    ds: Vec<Ds>,
    y: Vec<f32>,
    exog: Vec<(String, Vec<f32>)>,
    static_names: Vec<String>,
    statics: Vec<(String, Vec<f32>)>,
    freq: Freq,
}

impl SavedFrame {
    /// The columns of `frame`.
    pub(crate) fn from_frame(frame: &PanelFrame) -> Self {
        let mut saved = SavedFrame {
            ids: Vec::with_capacity(frame.len()),
            ds: Vec::with_capacity(frame.len()),
            y: Vec::with_capacity(frame.len()),
            exog: frame
                .exog_names()
                .iter()
                .map(|n| (n.clone(), Vec::with_capacity(frame.len())))
                .collect(),
            static_names: frame.static_names().to_vec(),
            statics: Vec::new(),
            freq: frame.freq(),
        };
        for s in frame.iter_series() {
            saved
                .ids
                .extend(std::iter::repeat_n(s.id.to_string(), s.len()));
            saved.ds.extend_from_slice(s.ds);
            saved.y.extend_from_slice(s.y);
            for (j, (_, col)) in saved.exog.iter_mut().enumerate() {
                col.extend_from_slice(s.exog_at(j));
            }
            if !saved.static_names.is_empty() {
                saved.statics.push((s.id.to_string(), s.statics().to_vec()));
            }
        }
        saved
    }

    /// The frame again, through the validating constructors.
    pub(crate) fn into_frame(self) -> Result<PanelFrame, DataError> {
        // Missing targets (NaN) were validated when the history was loaded.
        let repairs = Repairs {
            missing_targets: true,
            ..Repairs::default()
        };
        let frame = PanelFrame::from_columns_with(
            self.ids,
            self.ds,
            self.y,
            self.exog,
            Some(self.freq),
            repairs,
        )?;
        if self.static_names.is_empty() {
            Ok(frame)
        } else {
            frame.with_static(StaticFrame::from_rows(self.static_names, self.statics)?)
        }
    }
}
