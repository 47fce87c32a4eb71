//! Parameters, initialisers and layers shared by the model families.
