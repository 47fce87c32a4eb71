//! Static (time-invariant) features, one row per series.

use crate::error::{DataError, Location};
use std::collections::HashMap;

/// Static (time-invariant) features, one row per series: `unique_id, feat1, feat2, ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticFrame {
    pub(crate) ids: Vec<String>,
    pub(crate) names: Vec<String>,
    /// Row-major `[n_ids, n_features]`.
    pub(crate) values: Vec<f32>,
    pub(crate) locs: Vec<Location>,
}

impl StaticFrame {
    /// Builds a static frame from rows `(id, values)`; every row must have `names.len()` values,
    /// all finite, and ids must be unique.
    pub fn from_rows(names: Vec<String>, rows: Vec<(String, Vec<f32>)>) -> Result<Self, DataError> {
        let mut ids = Vec::with_capacity(rows.len());
        let mut values = Vec::with_capacity(rows.len() * names.len());
        let mut locs = Vec::with_capacity(rows.len());
        for (r, (id, vals)) in rows.into_iter().enumerate() {
            if vals.len() != names.len() {
                return Err(DataError::LengthMismatch {
                    column: format!("static row of `{id}`"),
                    expected: names.len(),
                    got: vals.len(),
                });
            }
            for (v, name) in vals.iter().zip(&names) {
                check_static_value(*v, &id, Location::Row(r), name)?;
            }
            values.extend_from_slice(&vals);
            ids.push(id);
            locs.push(Location::Row(r));
        }
        StaticFrame::new_checked(ids, names, values, locs)
    }

    pub(crate) fn new_checked(
        ids: Vec<String>,
        names: Vec<String>,
        values: Vec<f32>,
        locs: Vec<Location>,
    ) -> Result<Self, DataError> {
        if ids.is_empty() {
            return Err(DataError::Empty {
                what: "the static frame".into(),
            });
        }
        let mut seen = HashMap::with_capacity(ids.len());
        for (id, loc) in ids.iter().zip(&locs) {
            if seen.insert(id.as_str(), ()).is_some() {
                return Err(DataError::DuplicateStatic {
                    series: id.clone(),
                    loc: *loc,
                });
            }
        }
        Ok(StaticFrame {
            ids,
            names,
            values,
            locs,
        })
    }

    /// Feature names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Series ids, in row order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The features of one id.
    pub fn get(&self, id: &str) -> Option<&[f32]> {
        let k = self.names.len();
        self.ids
            .iter()
            .position(|i| i == id)
            .map(|r| &self.values[r * k..(r + 1) * k])
    }
}

pub(crate) fn check_static_value(
    v: f32,
    series: &str,
    loc: Location,
    column: &str,
) -> Result<(), DataError> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(DataError::NonFiniteExog {
            series: series.to_string(),
            loc,
            column: column.to_string(),
            value: v,
        })
    }
}
