//! Datasets embedded in the library, so examples, tests and the command line run anywhere.
//!
//! AirPassengers: monthly international airline passengers (thousands), 1949-1960, from Box &
//! Jenkins, "Time Series Analysis: Forecasting and Control" (public data; the same table as
//! NeuralForecast's `AirPassengersDF`). The panel version holds two series, `Airline1`
//! (AirPassengers) and `Airline2` (AirPassengers + 300), with a future-known `trend` column, a
//! historical `y_[lag12]` column and static `airline1`/`airline2` indicators
//! (NeuralForecast's `AirPassengersPanel` and `AirPassengersStatic`).

use neurodiv_data::{CsvOptions, DataError, PanelFrame, StaticFrame};

/// The CSV text of AirPassengers (`unique_id, ds, y`).
pub const AIR_PASSENGERS_CSV: &str = include_str!("../../../data/air_passengers.csv");
/// The CSV text of the two-series panel (`unique_id, ds, y, trend, y_[lag12]`).
pub const AIR_PASSENGERS_PANEL_CSV: &str = include_str!("../../../data/air_passengers_panel.csv");
/// The CSV text of the panel's static features (`unique_id, airline1, airline2`).
pub const AIR_PASSENGERS_STATIC_CSV: &str = include_str!("../../../data/air_passengers_static.csv");

/// AirPassengers as a one-series frame (monthly, month-end timestamps).
pub fn air_passengers() -> Result<PanelFrame, DataError> {
    PanelFrame::from_csv_reader(AIR_PASSENGERS_CSV.as_bytes(), &CsvOptions::default())
}

/// The two-series AirPassengers panel with its exogenous and static columns.
pub fn air_passengers_panel() -> Result<PanelFrame, DataError> {
    let frame =
        PanelFrame::from_csv_reader(AIR_PASSENGERS_PANEL_CSV.as_bytes(), &CsvOptions::default())?;
    let statics =
        StaticFrame::from_csv_reader(AIR_PASSENGERS_STATIC_CSV.as_bytes(), &CsvOptions::default())?;
    frame.with_static(statics)
}
