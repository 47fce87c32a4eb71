//! Saving and loading a [`NeuralForecast`]: a directory of checkpoint files written all or
//! nothing, and read back as untrusted input.

use super::{NeuralForecast, NfError};
use crate::intervals::ConformalScores;
use crate::saved_frame::SavedFrame;
use neurodiv_core::{CoreError, checkpoint};
use neurodiv_data::Freq;
use neurodiv_nn::ParamStore;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
