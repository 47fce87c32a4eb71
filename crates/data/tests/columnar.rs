//! Parquet and Arrow IPC files: chosen by extension, read through the same checks as CSV,
//! written with the same columns.

use arrow_array::{
    ArrayRef, DictionaryArray, Float64Array, Int32Array, RecordBatch, StringArray,
    TimestampNanosecondArray, types::Int8Type,
};
use arrow_schema::{Field, Schema};
use neurodiv_data::{CsvOptions, Ds, FileFormat, PanelFrame, Repairs, StaticFrame};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neurodiv-columnar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn panel() -> PanelFrame {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/air_passengers_panel.csv");
    PanelFrame::from_csv_path(path, &CsvOptions::default()).unwrap()
}

#[test]
fn the_format_follows_the_extension() {
    assert_eq!(
        FileFormat::from_path(Path::new("a.parquet")),
        FileFormat::Parquet
    );
    assert_eq!(
        FileFormat::from_path(Path::new("a.PQ")),
        FileFormat::Parquet
    );
    assert_eq!(
        FileFormat::from_path(Path::new("a.feather")),
        FileFormat::Arrow
    );
    assert_eq!(
        FileFormat::from_path(Path::new("a.arrow")),
        FileFormat::Arrow
    );
    assert_eq!(FileFormat::from_path(Path::new("a.csv")), FileFormat::Csv);
    assert_eq!(FileFormat::from_path(Path::new("a")), FileFormat::Csv);
}

#[test]
fn panels_and_future_frames_round_trip_through_parquet_and_arrow() {
    let df = panel();
    for name in ["panel.parquet", "panel.arrow"] {
        let path = temp(name);
        std::fs::write(&path, df.to_bytes(FileFormat::from_path(&path)).unwrap()).unwrap();
        let back = PanelFrame::from_path(&path, &CsvOptions::default()).unwrap();
        assert_eq!(back, df, "{name}");
        let fut = df.future_frame(3).unwrap();
        std::fs::write(&path, fut.to_bytes(FileFormat::from_path(&path)).unwrap()).unwrap();
        let opts = CsvOptions::default().with_freq(df.freq());
        let back = PanelFrame::future_from_path(&path, &opts).unwrap();
        assert_eq!(back, fut, "{name}: future frame");
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn pandas_style_columns_are_read() {
    // Dictionary ids (a pandas categorical), nanosecond timestamps with a zone, float targets
    // with a null, integer exogenous values.
    let ids = DictionaryArray::<Int8Type>::from_iter(["A", "A", "A", "B", "B"]);
    let hour = 3_600_000_000_000i64;
    let ds =
        TimestampNanosecondArray::from(vec![0, hour, 2 * hour, 0, hour]).with_timezone("+01:00");
    let y = Float64Array::from(vec![Some(1.0), None, Some(3.0), Some(4.0), Some(5.0)]);
    let price = Int32Array::from(vec![10, 11, 12, 20, 21]);
    let columns: Vec<ArrayRef> = vec![Arc::new(ids), Arc::new(ds), Arc::new(y), Arc::new(price)];
    let schema = Schema::new(
        ["unique_id", "ds", "y", "price"]
            .iter()
            .zip(&columns)
            .map(|(n, c)| Field::new(*n, c.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    let batch = RecordBatch::try_new(Arc::new(schema), columns).unwrap();
    let path = temp("pandas.parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    // The null target is refused by default, with the row.
    let e = PanelFrame::from_path(&path, &CsvOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("series `A`, row 1: target column `y` is NaN"),
        "{e}"
    );
    let opts = CsvOptions::default().with_repairs(Repairs {
        missing_targets: true,
        ..Repairs::default()
    });
    let f = PanelFrame::from_path(&path, &opts).unwrap();
    assert_eq!(f.ids(), ["A", "B"]);
    assert_eq!(f.freq().to_string(), "h");
    assert_eq!(
        f.series(0).ds[0],
        Ds::ymd_hms(1970, 1, 1, 0, 0, 0).unwrap(),
        "UTC instants"
    );
    assert!(f.series(0).y[1].is_nan());
    assert_eq!(f.series(1).exog("price").unwrap(), &[20.0, 21.0]);
    // A column of another type is a one-line error naming it.
    let statics = RecordBatch::try_from_iter([
        (
            "unique_id",
            Arc::new(StringArray::from(vec!["A", "B"])) as ArrayRef,
        ),
        (
            "size",
            Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef,
        ),
    ])
    .unwrap();
    let spath = temp("static.arrow");
    let mut w = arrow_ipc::writer::FileWriter::try_new(
        std::fs::File::create(&spath).unwrap(),
        &statics.schema(),
    )
    .unwrap();
    w.write(&statics).unwrap();
    w.finish().unwrap();
    let s = StaticFrame::from_path(&spath, &CsvOptions::default()).unwrap();
    assert_eq!(s.get("B"), Some(&[2.0f32][..]));
    let with_static = f.with_static(s).unwrap();
    assert_eq!(with_static.series(1).static_value("size"), Some(2.0));
    let e = PanelFrame::from_path(
        &spath,
        &CsvOptions::default().with_columns("unique_id", "size", "size"),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "column `size` has type Float64; expected timestamps, dates, integers or text"
    );
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&spath).unwrap();
    let e = PanelFrame::from_path(temp("missing.parquet"), &CsvOptions::default()).unwrap_err();
    assert!(e.to_string().starts_with("i/o error on"), "{e}");
}

/// Corrupted files are typed errors, never panics: every 8-byte window of a small Parquet and
/// Arrow file in turn set to all ones (lengths and offsets past the file) or zeros. The decoders
/// (arrow-ipc, parquet) panic on some such files; the readers turn those panics into errors.
#[test]
fn corrupted_parquet_and_arrow_files_are_errors_not_panics() {
    let text = "unique_id,ds,y\na,2020-01-31,1\na,2020-02-29,2\na,2020-03-31,3\nb,2020-01-31,4\n";
    let df = PanelFrame::from_csv_reader(text.as_bytes(), &CsvOptions::default()).unwrap();
    for name in ["corrupt.parquet", "corrupt.arrow"] {
        let path = temp(name);
        let good = df.to_bytes(FileFormat::from_path(&path)).unwrap();
        let mut refused = 0;
        for at in 0..good.len() {
            for fill in [0xFF, 0x00] {
                let mut bytes = good.clone();
                let end = (at + 8).min(bytes.len());
                bytes[at..end].fill(fill);
                std::fs::write(&path, &bytes).unwrap();
                refused += PanelFrame::from_path(&path, &CsvOptions::default()).is_err() as usize;
            }
        }
        assert!(refused > 0, "{name}: every corruption was read");
        std::fs::remove_file(&path).unwrap();
    }
    // The files the fuzzer found: buffer lengths that made arrow-ipc slice past its body, and a
    // footer block of 2^57 bytes that it would have allocated (an abort, not a panic).
    for (seed, why) in [
        ("regression-arrow-buffer-out-of-bounds", "not a valid file"),
        (
            "regression-arrow-block-past-the-end",
            "lies outside the file",
        ),
    ] {
        let seed = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds/table_reader")
            .join(seed);
        let path = temp("fuzzed.arrow");
        std::fs::write(&path, &std::fs::read(seed).unwrap()[1..]).unwrap(); // no mode byte
        let e = PanelFrame::from_path(&path, &CsvOptions::default()).unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
        std::fs::remove_file(&path).unwrap();
    }
}
