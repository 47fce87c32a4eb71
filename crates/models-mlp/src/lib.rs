//! MLP-based forecasting models: MLP, NBEATS, NBEATSx, NHITS, TiDE, TSMixer, MLPMultivariate.
