//! Linear forecasting models: DLinear, NLinear, RLinear.
