//! Progress bars while fitting: one per model, quiet when stderr is not a terminal.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use neurodiv::core::train::Progress;
use std::io::IsTerminal;

/// One bar per model.
pub struct Bars {
    bars: Vec<ProgressBar>,
}

impl Bars {
    /// Bars for models called `names`; hidden with `quiet` or when stderr is not a terminal.
    pub fn new(names: &[String], quiet: bool) -> Self {
        let hidden = quiet || !std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        });
        let style = ProgressStyle::with_template(
            "{prefix:>14} [{bar:30}] {pos}/{len} {per_sec} {elapsed} eta {eta} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> ");
        let bars = names
            .iter()
            .map(|n| {
                let b = multi.add(ProgressBar::new(0));
                b.set_style(style.clone());
                b.set_prefix(n.clone());
                b
            })
            .collect();
        Bars { bars }
    }

    /// Shows the progress of model `i`.
    pub fn update(&mut self, i: usize, p: &Progress) {
        let b = &self.bars[i];
        b.set_length(p.max_steps as u64);
        b.set_position(p.step as u64);
        let msg = match p.valid_loss {
            Some(v) => format!("loss {:.4} valid {:.4}", p.train_loss, v),
            None => format!("loss {:.4}", p.train_loss),
        };
        b.set_message(msg);
    }

    /// Leaves the bars in their final state.
    pub fn finish(&mut self) {
        for b in &self.bars {
            b.finish();
        }
    }
}
