//! The panel frame, CSV loading and validation, frequencies, window sampling, scalers and metrics.
//!
//! Data follow Python NeuralForecast's long format: one row per (series, timestamp) with columns
//! `unique_id, ds, y` and optional exogenous columns, plus an optional static frame
//! `unique_id, feat...`. See `docs/data-format.md` for every rule and formula.
//!
//! ```
//! use neurodiv_data::{CsvOptions, PanelFrame};
//! let csv = "unique_id,ds,y\nA,2020-01-31,1\nA,2020-02-29,2\nA,2020-03-31,3\n";
//! let frame = PanelFrame::from_csv_reader(csv.as_bytes(), &CsvOptions::default()).unwrap();
//! assert_eq!(frame.freq().to_string(), "ME");
//! assert_eq!(frame.series(0).y, &[1.0, 2.0, 3.0]);
//! ```
//!
//! Module dependencies form a DAG (each module uses only those listed before it): `ds`; `freq`
//! (the `Freq` type); `error`; `calendar` (`Freq`'s arithmetic, inference and parsing);
//! `static_frame`; `frame`; `validate` (row checks and `PanelFrame::from_columns`); `csv_io`;
//! then `windows`, `sampler`, `scalers`, `metrics` and `synthetic`, which use the layers below.

mod calendar;
mod columnar;
mod csv_io;
mod ds;
mod error;
mod frame;
mod freq;
pub mod metrics;
mod sampler;
pub mod scalers;
mod static_frame;
pub mod synthetic;
mod validate;
mod windows;

pub use columnar::{ColumnValues, FileFormat, encode_table, read_table};
pub use csv_io::CsvOptions;
pub use ds::Ds;
pub use error::{DataError, Location};
pub use frame::{ColumnNames, PanelFrame, SeriesView};
pub use freq::{Freq, Unit, days_in_month};
pub use sampler::{SeriesBatcher, WindowRef, WindowSampler, sample_without_replacement};
pub use scalers::{SCALER_EPS, ScalerType, apply, invert, scaler_stats};
pub use static_frame::StaticFrame;
pub use validate::{AVAILABLE_MASK_COL, MAX_FILLED_ROWS, Repairs};
pub use windows::{WindowConfig, WindowIndex, fill_window};
