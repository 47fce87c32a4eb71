//! Hostile use of the `neurodiv` binary: absurd sizes, argument errors, closed or full stdout,
//! outputs that must appear all together or not at all, saved directories, divergence, Ctrl-C,
//! and a property test over random options and data mutations.

use proptest::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurodiv"))
}

fn neurodiv(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("neurodiv-hard-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const TINY: [&str; 7] = [
    "--model",
    "MLP",
    "--set",
    "MLP.hidden_size=8",
    "--max-steps",
    "2",
    "--quiet",
];

/// Exit code 2, one `error:` line, no panic.
fn assert_one_line_error(o: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{what}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
    assert!(err.starts_with("error: "), "{what}: {err}");
    err
}

#[test]
fn absurd_sizes_are_one_line_errors_before_any_model_is_built() {
    let dir = temp("sizes");
    let out = dir.join("out.csv");
    let save = dir.join("saved");
    let cases: [&[&str]; 9] = [
        &["--h", "100000000"],
        &["--input-size", "100000000"],
        &["--h", "200000"],
        &["--h", "145"], // beyond the 144 points of AirPassengers
        &["--h", "18446744073709551615"],
        &["--max-steps", "1000000000000"],
        &["--set", "hidden_size=1099511627776"],
        &["--set", "num_layers=16777216"],
        &["--set", "windows_batch_size=1099511627776"],
    ];
    for case in cases {
        for (command, flag, path) in [
            ("forecast", "--out", &out),
            ("cv", "--out", &out),
            ("fit", "--save", &save),
        ] {
            let mut args = vec![command, flag, path.to_str().unwrap()];
            args.extend(["--model", "MLP", "--set", "MLP.hidden_size=8", "--quiet"]);
            if !case.contains(&"--max-steps") {
                args.extend(["--max-steps", "2"]);
            }
            args.extend(case);
            let o = neurodiv(&args);
            assert_one_line_error(&o, &format!("{command} {case:?}"));
            assert!(listing(&dir).is_empty(), "{command} {case:?} left files");
        }
    }
}

#[test]
fn argument_errors_are_one_line_and_a_hint() {
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &["forecast", "--h", "-1"],
            "'--h <H>'",
            "neurodiv forecast --help",
        ),
        (
            &["forecast", "--h", "abc"],
            "invalid value 'abc'",
            "neurodiv forecast --help",
        ),
        (&["fit"], "--save", "neurodiv fit --help"),
        (
            &["cv", "--n-windows", "x"],
            "--n-windows",
            "neurodiv cv --help",
        ),
        (&["predict"], "--load", "neurodiv predict --help"),
        (
            &["forecast", "--hh", "3"],
            "--hh",
            "neurodiv forecast --help",
        ),
        (&["forcast"], "forcast", "neurodiv --help"),
    ];
    for (args, in_error, in_hint) in cases {
        let o = neurodiv(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        let lines: Vec<&str> = err.trim_end().lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {err}");
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(in_error),
            "{args:?}: {err}"
        );
        assert!(
            lines[1].starts_with("hint: ") && lines[1].contains(in_hint),
            "{args:?}: {err}"
        );
    }
    let help = neurodiv(&["fit", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--save"));
}

#[test]
fn a_closed_stdout_ends_quietly_and_a_full_one_is_an_error() {
    let dir = temp("stdout");
    let save = dir.join("saved");
    let mut fit = vec!["fit", "--save", save.to_str().unwrap()];
    fit.extend(TINY);
    assert!(neurodiv(&fit).status.success());
    let mut forecast = vec!["forecast"];
    forecast.extend(TINY);
    let mut cv = vec!["cv", "--n-windows", "2"];
    cv.extend(TINY);
    let commands: [&[&str]; 5] = [
        &["models"],
        &["models", "NHITS"],
        &forecast,
        &cv,
        &["predict", "--load", save.to_str().unwrap()],
    ];
    for args in commands {
        // The reader is gone before the command writes.
        let mut child = bin()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?} into a closed pipe: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        if Path::new("/dev/full").exists() {
            let o = bin()
                .args(args)
                .stdout(File::create("/dev/full").unwrap())
                .output()
                .unwrap();
            let err = assert_one_line_error(&o, &format!("{args:?} > /dev/full"));
            assert!(err.contains("stdout"), "{err}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn outputs_appear_all_together_or_not_at_all() {
    let dir = temp("outputs");
    let out = dir.join("fc.csv");
    let out_s = out.to_str().unwrap();
    let missing = dir.join("no/such/dir");
    let data = dir.join("data.csv");
    std::fs::write(
        &data,
        neurodiv::datasets::AIR_PASSENGERS_CSV.replace("\r\n", "\n"),
    )
    .unwrap();
    let before = std::fs::read(&data).unwrap();
    let json_missing = missing.join("m.json");
    let plot_missing = missing.join("p.svg");
    let cases: [Vec<&str>; 5] = [
        // the metrics file cannot be written after the forecast CSV was
        vec!["--metrics-json", json_missing.to_str().unwrap()],
        // the plot cannot be written after the forecast CSV and the metrics were
        vec!["--plot", plot_missing.to_str().unwrap()],
        vec!["--plot", dir.to_str().unwrap()], // a directory, not a plot file name
        // an output that would overwrite the data, or another output
        vec![
            "--data",
            data.to_str().unwrap(),
            "--metrics-json",
            data.to_str().unwrap(),
        ],
        vec!["--metrics-json", out_s],
    ];
    for case in cases {
        let mut args = vec!["forecast", "--holdout", "12", "--out", out_s];
        args.extend(TINY);
        args.extend(&case);
        let o = neurodiv(&args);
        assert_one_line_error(&o, &format!("{case:?}"));
        assert_eq!(listing(&dir), ["data.csv"], "{case:?} left files");
        assert_eq!(
            std::fs::read(&data).unwrap(),
            before,
            "{case:?} changed the data"
        );
    }
    let metrics = dir.join("m.json");
    let plot = dir.join("p.svg");
    let mut args = vec!["forecast", "--holdout", "12", "--out", out_s];
    args.extend(TINY);
    args.extend([
        "--metrics-json",
        metrics.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(neurodiv(&args).status.success());
    assert_eq!(listing(&dir), ["data.csv", "fc.csv", "m.json", "p.svg"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_save_replaces_only_an_earlier_save_and_a_failed_fit_saves_nothing() {
    let dir = temp("save");
    let save = dir.join("model");
    let fit = |extra: &[&str]| {
        let mut args = vec!["fit", "--save", save.to_str().unwrap()];
        args.extend(TINY);
        args.extend(extra);
        neurodiv(&args)
    };
    // A fit that fails (divergence) leaves no directory.
    let o = fit(&["--model", "DLinear", "--set", "DLinear.learning_rate=1e30"]);
    let err = assert_one_line_error(&o, "diverging fit");
    assert!(err.contains("training diverged"), "{err}");
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
    // A new directory, then an earlier save replaced by one with fewer models.
    assert!(fit(&["--model", "NLinear"]).status.success());
    assert_eq!(
        listing(&save),
        ["model-0.ndiv", "model-1.ndiv", "neuralforecast.ndiv"]
    );
    // Without --overwrite an earlier save is refused and left as it was.
    let err = assert_one_line_error(&fit(&[]), "an earlier save");
    assert!(
        err.contains("holds an earlier save; pass overwrite (--overwrite"),
        "{err}"
    );
    assert_eq!(
        listing(&save),
        ["model-0.ndiv", "model-1.ndiv", "neuralforecast.ndiv"]
    );
    assert!(fit(&["--overwrite"]).status.success());
    assert_eq!(listing(&save), ["model-0.ndiv", "neuralforecast.ndiv"]);
    assert_eq!(listing(&dir), ["model"], "no temporary directory left");
    // A directory holding anything else is not touched.
    std::fs::write(save.join("notes.txt"), "mine").unwrap();
    assert_one_line_error(&fit(&["--overwrite"]), "a foreign directory");
    assert_eq!(
        listing(&save),
        ["model-0.ndiv", "neuralforecast.ndiv", "notes.txt"]
    );
    assert_eq!(listing(&dir), ["model"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exploding_training_is_a_one_line_error_unless_the_check_is_off() {
    for model in ["DLinear", "NLinear", "TiDE"] {
        let o = neurodiv(&[
            "forecast",
            "--model",
            model,
            "--set",
            "learning_rate=1e30",
            "--max-steps",
            "20",
            "--quiet",
        ]);
        let err = assert_one_line_error(&o, model);
        assert!(err.contains("training diverged"), "{model}: {err}");
    }
    let o = neurodiv(&[
        "forecast",
        "--model",
        "DLinear",
        "--set",
        "learning_rate=1e30",
        "--set",
        "divergence_factor=null",
        "--max-steps",
        "2",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn ctrl_c_stops_training_with_exit_130_and_saves_nothing() {
    let dir = temp("ctrlc");
    let save = dir.join("model");
    let child = bin()
        .args(["fit", "--save", save.to_str().unwrap()])
        .args(["--model", "MLP", "--set", "hidden_size=8", "--quiet"])
        .args(["--max-steps", "1000000"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A data file: AirPassengers, or one of its mutations.
fn data_text(mutation: usize, at: usize) -> String {
    let csv = neurodiv::datasets::AIR_PASSENGERS_CSV.replace("\r\n", "\n");
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    let row = 1 + at % (lines.len() - 1);
    match mutation {
        0 => {}
        1 => lines.truncate(1 + at % 40), // short series
        2 => {
            let dup = lines[row].clone();
            lines.insert(row, dup); // duplicate timestamp
        }
        3 => lines[row] = lines[row].replace(|c: char| c.is_ascii_digit(), "x"),
        4 => {
            let cut = lines[row].rfind(',').unwrap();
            lines[row] = format!(
                "{},{}",
                &lines[row][..cut],
                ["NaN", "", "1e39", "-inf"][at % 4]
            );
        }
        5 => {
            lines.remove(0); // no header
        }
        6 => lines.truncate(0), // empty file
        _ => lines[row].push_str(",extra"),
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn options() -> impl Strategy<Value = Vec<String>> {
    let pick = |v: &'static [&'static str]| proptest::sample::select(v.to_vec());
    (
        pick(&["forecast", "cv", "fit"]),
        pick(&["MLP", "DLinear", "NLinear", "RLinear", "LSTM", "NoSuch"]),
        pick(&[
            "",
            "--h=1",
            "--h=12",
            "--h=0",
            "--h=-1",
            "--h=abc",
            "--h=200000",
        ]),
        pick(&[
            "",
            "--input-size=-1",
            "--input-size=1",
            "--input-size=100000000",
        ]),
        pick(&[
            "--max-steps=1",
            "--max-steps=2",
            "--max-steps=0",
            "--max-steps=1000000000000",
        ]),
        pick(&[
            "",
            "--set=learning_rate=1e30",
            "--set=scaler_type=robust",
            "--set=divergence_factor=null",
            "--set=MLP.hidden_size=abc",
            "--set=windows_batch_size=1099511627776",
            "--set=noequals",
            "--set=LSTM.encoder_hidden_size=1099511627776",
        ]),
        pick(&[
            "",
            "--holdout=12",
            "--holdout=0",
            "--val-size=12",
            "--plot=p.png",
            "--plot=p.jpg",
        ]),
    )
        .prop_map(|(cmd, model, h, l, steps, set, extra)| {
            let mut v: Vec<String> = vec![cmd.into(), "--quiet".into(), format!("--model={model}")];
            v.extend(
                [
                    "--set=MLP.hidden_size=8",
                    "--set=LSTM.encoder_hidden_size=8",
                ]
                .map(String::from),
            );
            v.extend(
                [h, l, steps, set]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
            // forecast-only options go to forecast; others get them as argument errors
            if !extra.is_empty() && (cmd == "forecast" || extra.starts_with("--val")) {
                v.push(extra.into());
            }
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever the options and the data: exit 0 or 2 (never a panic's 101 or an abort's 134),
    /// every output or none, and the input file unchanged.
    #[test]
    fn any_options_and_data_give_exit_0_or_2_and_all_or_no_outputs(
        opts in options(),
        mutation in 0usize..8,
        at in 0usize..1000,
    ) {
        let dir = temp(&format!("prop-{mutation}-{at}"));
        let data = dir.join("data.csv");
        let text = data_text(mutation, at);
        std::fs::write(&data, &text).unwrap();
        let mut args = opts.clone();
        args.push(format!("--data={}", data.display()));
        let outputs: Vec<&str> = if args[0] == "fit" { vec!["saved"] } else { vec!["out.csv"] };
        args.push(if args[0] == "fit" { "--save=saved".into() } else { "--out=out.csv".into() });
        let mut expected: Vec<&str> = outputs.clone();
        if args[0] == "forecast" {
            args.push("--metrics-json=m.json".into());
            expected.push("m.json");
            if let Some(p) = opts.iter().find_map(|o| o.strip_prefix("--plot=")) {
                expected.push(if p == "p.png" { "p.png" } else { "p.jpg" });
            }
        }
        let o = bin().args(&args).current_dir(&dir).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        let code = o.status.code();
        prop_assert!(code == Some(0) || code == Some(2), "{args:?}: {code:?} {err}");
        prop_assert!(!err.contains("panicked"), "{args:?}: {err}");
        prop_assert_eq!(std::fs::read_to_string(&data).unwrap(), text, "{:?} changed the data", args);
        let mut left = listing(&dir);
        left.retain(|n| n != "data.csv");
        if code == Some(0) {
            let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            want.sort();
            prop_assert_eq!(left, want, "{:?}", args);
        } else {
            prop_assert_eq!(err.trim_end().lines().count(), if err.contains("\nhint: ") { 2 } else { 1 }, "{:?}: {}", args, err);
            prop_assert!(left.is_empty(), "{:?} failed and left {:?}", args, left);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
