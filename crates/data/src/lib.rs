//! The panel frame, CSV loading and validation, frequencies, window sampling, scalers and metrics.
