//! `neurodiv models`: each model's family, capabilities and one-line description, and each
//! option's type, default and meaning, read from the documentation tables
//! (`docs/models.md`, `docs/configuration.md`) compiled into the binary.

use neurodiv::core::CoreError;
use neurodiv::{NfError, registry};

const MODELS_MD: &str = include_str!("../../../docs/models.md");
const CONFIGURATION_MD: &str = include_str!("../../../docs/configuration.md");

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The cells of a Markdown table row (`| a | b |`), trimmed, as plain text.
fn cells(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(|c| plain(c.trim())).collect())
}

/// Markdown as plain text: code backticks dropped, links `[text](target)` as `text`, and a
/// parenthesis holding only a link dropped.
fn plain(md: &str) -> String {
    let mut out = md.replace('`', "");
    while let Some(open) = out.find("](") {
        let Some(close) = out[open..].find(')').map(|c| open + c) else {
            break;
        };
        let Some(start) = out[..open].rfind('[') else {
            break;
        };
        let text = out[start + 1..open].to_string();
        // `([text](link))`: a pointer to another page, not part of the sentence.
        if out[..start].ends_with('(') && out[close + 1..].starts_with(')') {
            let cut = out[..start - 1].trim_end().len();
            out.replace_range(cut..close + 2, "");
        } else {
            out.replace_range(start..close + 1, &text);
        }
    }
    out
}

/// The row of `docs/models.md`'s overview table for `name`: (paper, key defaults).
fn model_row(name: &str) -> Option<(String, String)> {
    MODELS_MD
        .lines()
        .filter_map(cells)
        .find(|c| c.len() == 6 && c[0] == name)
        .map(|c| (c[2].clone(), c[5].clone()))
}

/// `(type, meaning)` of option `key` of model `name`: from the model's own section of
/// `docs/configuration.md` (a heading naming it), else from the shared options.
fn option_doc(name: &str, key: &str) -> Option<(Option<String>, String)> {
    let mut section = "";
    let mut shared = None;
    let mut own = None;
    for line in CONFIGURATION_MD.lines() {
        if let Some(h) = line
            .strip_prefix("### ")
            .or_else(|| line.strip_prefix("## "))
        {
            section = h;
            continue;
        }
        let Some(c) = cells(line) else { continue };
        if c.first().map(String::as_str) != Some(key) {
            continue;
        }
        let names_model = section
            .split(|ch: char| !ch.is_alphanumeric())
            .any(|w| w == name);
        match c.len() {
            4 if section.starts_with("Shared options") => {
                shared = Some((Some(c[1].clone()), c[3].clone()));
            }
            3 if names_model => own = Some((None, c[2].clone())),
            _ => {}
        }
    }
    own.or(shared)
}

/// Every model: name, family, what it takes (exogenous kinds, multivariate) and its paper.
pub fn list() -> Result<String> {
    let mut text = format!(
        "{:<16} {:<10} {:<28} {}\n",
        "model", "family", "takes", "description"
    );
    for (name, family) in registry::model_families() {
        let c = match registry::build_for_series(name, 12, 24, &[], 1) {
            Ok(model) => model.capabilities(),
            // A model that reads files (TimeLLM's backbone folder) cannot be built from its
            // defaults alone: its row says which option it needs.
            Err(NfError::Core(CoreError::Config { field, .. })) => {
                let needs = format!("needs --set {field}=...");
                let description = model_row(name).map_or(String::new(), |(paper, _)| paper);
                text.push_str(&format!(
                    "{name:<16} {family:<10} {needs:<28} {description}\n"
                ));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut takes: Vec<&str> = [
            (c.futr_exog, "futr"),
            (c.hist_exog, "hist"),
            (c.stat_exog, "stat"),
        ]
        .into_iter()
        .filter_map(|(on, kind)| on.then_some(kind))
        .collect();
        if takes.is_empty() {
            takes.push("no exog");
        }
        let mut takes = takes.join("/");
        if c.multivariate {
            takes.push_str(", multivariate");
        }
        let description = model_row(name).map_or(String::new(), |(paper, _)| paper);
        text.push_str(&format!(
            "{name:<16} {family:<10} {takes:<28} {description}\n"
        ));
    }
    Ok(text)
}

/// One model: its key defaults, then every option with its type, default and meaning.
pub fn options(name: &str) -> Result<String> {
    let canonical = registry::canonical_name(name)?;
    let config = registry::default_config(canonical, 12, 24)?;
    let mut text = format!("{canonical} (defaults shown for h=12, input_size=24)\n");
    if let Some((paper, defaults)) = model_row(canonical) {
        text.push_str(&format!("  {paper}\n  key defaults: {defaults}\n"));
    }
    text.push_str(&format!(
        "\n  {:<30} {:<22} {:<28} {}\n",
        "option", "type", "default", "meaning"
    ));
    for (key, value) in config.as_object().expect("configs are JSON objects") {
        let (ty, meaning) = option_doc(canonical, key).unwrap_or((None, String::new()));
        let ty = ty.unwrap_or_else(|| registry::describe(value));
        text.push_str(&format!(
            "  {key:<30} {ty:<22} {:<28} {meaning}\n",
            value.to_string()
        ));
    }
    Ok(text)
}
