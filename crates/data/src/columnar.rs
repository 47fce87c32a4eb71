//! Parquet and Arrow IPC files: the format chosen by file extension, tables read batch by
//! batch into the same validated rows as CSV, and columns encoded for writing.
//!
//! Read: ids as text (also dictionary-encoded, pandas' categoricals) or integers; timestamps as
//! Arrow timestamps of any unit (with a time zone: the UTC instant), dates, integers or text;
//! values as any integer or float type, nulls being missing values (NaN). Written: ids as text,
//! timestamps as microsecond timestamps without a zone (or integers), values as `Float32` with
//! NaN as null; Parquet with Snappy compression.

use crate::ds::Ds;
use crate::error::DataError;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, Float32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use chrono::{DateTime, NaiveDateTime};
use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, Once};

/// A data file's format, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// Anything else: comma-separated text.
    Csv,
    /// `.parquet`, `.pq`.
    Parquet,
    /// Arrow IPC file (Feather v2): `.arrow`, `.feather`, `.ipc`.
    Arrow,
}

impl FileFormat {
    /// The format of `path` by its extension (case-insensitive); CSV when it names neither
    /// Parquet nor Arrow.
    pub fn from_path(path: &Path) -> FileFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("parquet" | "pq") => FileFormat::Parquet,
            Some("arrow" | "feather" | "ipc") => FileFormat::Arrow,
            _ => FileFormat::Csv,
        }
    }
}

/// Rows per batch when reading Parquet (memory stays bounded by a batch plus the frame).
const BATCH_ROWS: usize = 64 * 1024;

fn arrow_error(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::Columnar(format!("{}: {e}", path.display()))
}

/// The batches of a Parquet or Arrow IPC file, with its column names.
pub(crate) type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>>>;

thread_local! {
    /// Set while [`decoding`] runs a decoder: its panics are caught, so the hook stays quiet.
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Runs a step of a third-party decoder (arrow-ipc, parquet) on an untrusted file and turns a
/// panic of it into an error naming the file: these decoders still panic on some malformed files
/// (arrow-rs issue #10921 and others; our `table_reader` fuzz target found an Arrow file whose
/// buffer lengths make arrow-ipc slice out of bounds). The panic hook, chained once in front of
/// the one in place, prints nothing for these panics, so the user sees one line. The error is
/// the reason, to be put after the file's name.
fn decoding<T>(step: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DECODING.with(Cell::get) {
                previous(info)
            }
        }));
    });
    let outer = DECODING.with(|d| d.replace(true));
    let result = std::panic::catch_unwind(AssertUnwindSafe(step));
    DECODING.with(|d| d.set(outer));
    result.map_err(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("not a valid file (the decoder failed: {why})")
    })
}

/// The batches of a decoder, each read through [`decoding`]; after a failed read, no more.
struct Guarded {
    inner: Option<Batches>,
}

impl Iterator for Guarded {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let inner = self.inner.as_mut()?;
        match decoding(|| inner.next()) {
            Ok(item) => item,
            Err(why) => {
                self.inner = None; // a decoder that panicked is in no state to go on
                Some(Err(ArrowError::ParseError(why)))
            }
        }
    }
}

/// Opens `path` as `format` (Parquet or Arrow): its column names and its batches.
pub(crate) fn open_batches(
    path: &Path,
    format: FileFormat,
) -> Result<(Vec<String>, Batches), DataError> {
    let (names, batches) =
        decoding(|| open_unguarded(path, format)).map_err(|why| arrow_error(path, why))??;
    let guarded = Guarded {
        inner: Some(batches),
    };
    Ok((names, Box::new(guarded)))
}

fn open_unguarded(path: &Path, format: FileFormat) -> Result<(Vec<String>, Batches), DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: Some(path.to_path_buf()),
        source,
    })?;
    let (schema, batches): (Arc<Schema>, Batches) = match format {
        FileFormat::Parquet => {
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|e| arrow_error(path, e))?
                    .with_batch_size(BATCH_ROWS)
                    .build()
                    .map_err(|e| arrow_error(path, e))?;
            (
                arrow_array::RecordBatchReader::schema(&reader),
                Box::new(reader),
            )
        }
        FileFormat::Arrow => {
            check_ipc_blocks(path, &file)?;
            let reader =
                arrow_ipc::reader::FileReader::try_new(std::io::BufReader::new(file), None)
                    .map_err(|e| arrow_error(path, e))?;
            (reader.schema(), Box::new(reader))
        }
        FileFormat::Csv => unreachable!("CSV files are read by csv_io"),
    };
    let names = schema.fields().iter().map(|f| f.name().clone()).collect();
    Ok((names, batches))
}

/// Checks that every block an Arrow IPC file's footer lists (record batches, dictionaries) lies
/// inside the file, before arrow-ipc allocates a buffer of the size a block declares (arrow-rs
/// issue #10921: a block claiming terabytes aborts the process). Reads only the footer; a footer
/// that does not parse is left for arrow-ipc to report.
fn check_ipc_blocks(path: &Path, file: &std::fs::File) -> Result<(), DataError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |source| DataError::Io {
        path: Some(path.to_path_buf()),
        source,
    };
    let mut file = file;
    let len = file.metadata().map_err(io)?.len();
    // The file ends with the footer, its length (i32, little-endian) and the magic "ARROW1".
    if len < 10 + 8 {
        return Ok(());
    }
    let mut tail = [0u8; 4];
    file.seek(SeekFrom::Start(len - 10)).map_err(io)?;
    file.read_exact(&mut tail).map_err(io)?;
    let footer_len = i32::from_le_bytes(tail);
    let Some(start) = u64::try_from(footer_len)
        .ok()
        .and_then(|n| (len - 10).checked_sub(n))
        .filter(|&start| start >= 8)
    else {
        return Ok(());
    };
    let mut footer = vec![0u8; footer_len as usize]; // within the file: checked just above
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    file.read_exact(&mut footer).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let Ok(footer) = arrow_ipc::root_as_footer(&footer) else {
        return Ok(());
    };
    let blocks = footer.recordBatches().into_iter().flatten();
    for block in blocks.chain(footer.dictionaries().into_iter().flatten()) {
        let end = u64::try_from(block.offset()).ok().and_then(|offset| {
            let meta = u64::try_from(block.metaDataLength()).ok()?;
            let body = u64::try_from(block.bodyLength()).ok()?;
            offset.checked_add(meta)?.checked_add(body)
        });
        if end.is_none_or(|end| end > len) {
            return Err(arrow_error(
                path,
                "not a valid Arrow file (a record batch of its footer lies outside the file)",
            ));
        }
    }
    Ok(())
}

/// The ids of a column: text (also dictionary-encoded) or integers, as owned strings of one
/// batch.
pub(crate) fn ids(col: &dyn Array, name: &str) -> Result<Vec<String>, DataError> {
    let text = |i: usize, s: &dyn Fn(usize) -> String| -> Result<String, DataError> {
        if col.is_null(i) {
            Err(DataError::Columnar(format!(
                "column `{name}` has a null id at row {i} of a batch"
            )))
        } else {
            Ok(s(i))
        }
    };
    let n = col.len();
    if let Some(dict) = col.as_any_dictionary_opt() {
        let values = ids(dict.values().as_ref(), name)?;
        let keys = dict.normalized_keys();
        return (0..n)
            .map(|i| text(i, &|i| values[keys[i]].clone()))
            .collect();
    }
    match col.data_type() {
        DataType::Utf8 => {
            let a = col.as_string::<i32>();
            (0..n)
                .map(|i| text(i, &|i| a.value(i).to_string()))
                .collect()
        }
        DataType::LargeUtf8 => {
            let a = col.as_string::<i64>();
            (0..n)
                .map(|i| text(i, &|i| a.value(i).to_string()))
                .collect()
        }
        DataType::Utf8View => {
            let a = col.as_string_view();
            (0..n)
                .map(|i| text(i, &|i| a.value(i).to_string()))
                .collect()
        }
        _ => {
            let v = integers(col).ok_or_else(|| unsupported(name, col, "text or integers"))?;
            (0..n).map(|i| text(i, &|i| v[i].to_string())).collect()
        }
    }
}

fn unsupported(name: &str, col: &dyn Array, wanted: &str) -> DataError {
    DataError::Columnar(format!(
        "column `{name}` has type {}; expected {wanted}",
        col.data_type()
    ))
}

/// Any integer column as i64 (nulls as 0: the callers check nulls first).
fn integers(col: &dyn Array) -> Option<Vec<i64>> {
    macro_rules! ints {
        ($($t:ty),*) => {
            $(if let Some(a) = col.as_primitive_opt::<$t>() {
                return Some(a.values().iter().map(|v| *v as i64).collect());
            })*
        };
    }
    ints!(
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type
    );
    if let Some(a) = col.as_primitive_opt::<UInt64Type>() {
        return a.values().iter().map(|v| i64::try_from(*v).ok()).collect();
    }
    None
}

/// Any numeric column as f32, nulls as NaN.
pub(crate) fn numbers(col: &dyn Array, name: &str) -> Result<Vec<f32>, DataError> {
    let n = col.len();
    let mut out: Vec<f32> = if let Some(a) = col.as_primitive_opt::<Float32Type>() {
        a.values().to_vec()
    } else if let Some(a) = col.as_primitive_opt::<Float64Type>() {
        a.values().iter().map(|v| *v as f32).collect()
    } else if let Some(a) = col.as_primitive_opt::<Float16Type>() {
        a.values().iter().map(|v| v.to_f32()).collect()
    } else if let Some(v) = integers(col) {
        v.into_iter().map(|v| v as f32).collect()
    } else if col.data_type() == &DataType::Boolean {
        let a = col.as_boolean();
        (0..n).map(|i| f32::from(u8::from(a.value(i)))).collect()
    } else {
        return Err(unsupported(name, col, "numbers"));
    };
    if col.null_count() > 0 {
        for (i, v) in out.iter_mut().enumerate() {
            if col.is_null(i) {
                *v = f32::NAN;
            }
        }
    }
    Ok(out)
}

/// A timestamp column: Arrow timestamps (any unit; with a time zone, the UTC instant), dates,
/// integers or text. `None` marks a null or unparsable entry, with its text for the error.
pub(crate) fn timestamps(
    col: &dyn Array,
    name: &str,
) -> Result<Vec<Result<Ds, String>>, DataError> {
    let n = col.len();
    let null = |i: usize| col.is_null(i);
    let from_micros = |v: Option<i64>| {
        v.and_then(DateTime::from_timestamp_micros)
            .map(|d| Ds::Date(d.naive_utc()))
            .ok_or_else(|| "an out-of-range timestamp".to_string())
    };
    macro_rules! scaled {
        ($t:ty, $to_micros:expr) => {
            if let Some(a) = col.as_primitive_opt::<$t>() {
                let f: fn(i64) -> Option<i64> = $to_micros;
                return Ok((0..n)
                    .map(|i| {
                        if null(i) {
                            Err("null".into())
                        } else {
                            from_micros(f(a.value(i) as i64))
                        }
                    })
                    .collect());
            }
        };
    }
    scaled!(TimestampSecondType, |v| v.checked_mul(1_000_000));
    scaled!(TimestampMillisecondType, |v| v.checked_mul(1_000));
    scaled!(TimestampMicrosecondType, Some);
    scaled!(TimestampNanosecondType, |v| Some(v.div_euclid(1_000)));
    scaled!(Date32Type, |v| v.checked_mul(86_400_000_000));
    scaled!(Date64Type, |v| v.checked_mul(1_000));
    // Text timestamps, read by `Ds::parse` (`value` gives row `i`'s text).
    fn parsed<'a>(
        n: usize,
        null: impl Fn(usize) -> bool,
        value: impl Fn(usize) -> &'a str,
    ) -> Vec<Result<Ds, String>> {
        (0..n)
            .map(|i| match null(i) {
                true => Err("null".into()),
                false => Ds::parse(value(i)).ok_or_else(|| value(i).to_string()),
            })
            .collect()
    }
    match col.data_type() {
        DataType::Utf8 => Ok(parsed(n, null, |i| col.as_string::<i32>().value(i))),
        DataType::LargeUtf8 => Ok(parsed(n, null, |i| col.as_string::<i64>().value(i))),
        _ => {
            let v = integers(col)
                .ok_or_else(|| unsupported(name, col, "timestamps, dates, integers or text"))?;
            Ok((0..n)
                .map(|i| {
                    if null(i) {
                        Err("null".into())
                    } else {
                        Ok(Ds::Int(v[i]))
                    }
                })
                .collect())
        }
    }
}

/// The values of one column to write.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Text (ids).
    Text(Vec<String>),
    /// Timestamps: integers if they all are, else microsecond timestamps without a zone (UTC).
    Timestamps(Vec<Ds>),
    /// Numbers, NaN written as null.
    Numbers(Vec<f32>),
}

/// Encodes named columns as a Parquet (Snappy) or Arrow IPC file, in memory (callers write it
/// atomically).
pub fn encode_table(
    format: FileFormat,
    columns: Vec<(String, ColumnValues)>,
) -> Result<Vec<u8>, DataError> {
    let mut fields = Vec::with_capacity(columns.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    for (name, values) in columns {
        let array: ArrayRef = match values {
            ColumnValues::Text(v) => Arc::new(StringArray::from(v)),
            ColumnValues::Timestamps(v) if v.iter().all(Ds::is_int) => Arc::new(
                Int64Array::from_iter_values(v.iter().filter_map(Ds::as_int)),
            ),
            ColumnValues::Timestamps(v) => {
                Arc::new(TimestampMicrosecondArray::from_iter(v.iter().map(|d| {
                    d.as_date()
                        .map(|d: NaiveDateTime| d.and_utc().timestamp_micros())
                })))
            }
            ColumnValues::Numbers(v) => Arc::new(Float32Array::from_iter(
                v.iter().map(|x| (!x.is_nan()).then_some(*x)),
            )),
        };
        fields.push(Field::new(
            name,
            array.data_type().clone(),
            array.null_count() > 0 || matches!(array.data_type(), DataType::Float32),
        ));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let what = |e: &dyn std::fmt::Display| DataError::Columnar(format!("writing {format:?}: {e}"));
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| what(&e))?;
    match format {
        FileFormat::Parquet => {
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .build();
            let mut w = parquet::arrow::ArrowWriter::try_new(Vec::new(), schema, Some(props))
                .map_err(|e| what(&e))?;
            w.write(&batch).map_err(|e| what(&e))?;
            w.into_inner().map_err(|e| what(&e))
        }
        FileFormat::Arrow => {
            let mut w = arrow_ipc::writer::FileWriter::try_new(Vec::new(), &schema)
                .map_err(|e| what(&e))?;
            w.write(&batch).map_err(|e| what(&e))?;
            w.finish().map_err(|e| what(&e))?;
            w.into_inner().map_err(|e| what(&e))
        }
        FileFormat::Csv => Err(DataError::InvalidArgument(
            "encode_table writes Parquet or Arrow; CSV has its own writers".into(),
        )),
    }
}

/// Reads a whole Parquet or Arrow IPC table: the columns named in `text` as text, those in
/// `time` as timestamps, every other as numbers (nulls as NaN). For small tables (forecast
/// frames); panels go through [`crate::PanelFrame::from_path`], batch by batch.
pub fn read_table(
    path: &Path,
    format: FileFormat,
    text: &[&str],
    time: &[&str],
) -> Result<Vec<(String, ColumnValues)>, DataError> {
    let (names, batches) = open_batches(path, format)?;
    let mut columns: Vec<(String, ColumnValues)> = names
        .iter()
        .map(|n| {
            let empty = if text.contains(&n.as_str()) {
                ColumnValues::Text(Vec::new())
            } else if time.contains(&n.as_str()) {
                ColumnValues::Timestamps(Vec::new())
            } else {
                ColumnValues::Numbers(Vec::new())
            };
            (n.clone(), empty)
        })
        .collect();
    let mut start = 0;
    for batch in batches {
        let batch = batch.map_err(|e| arrow_error(path, e))?;
        for (j, (name, values)) in columns.iter_mut().enumerate() {
            let col = batch.column(j).as_ref();
            match values {
                ColumnValues::Text(v) => v.extend(ids(col, name)?),
                ColumnValues::Numbers(v) => v.extend(numbers(col, name)?),
                ColumnValues::Timestamps(v) => {
                    for (k, ds) in timestamps(col, name)?.into_iter().enumerate() {
                        v.push(ds.map_err(|value| {
                            arrow_error(
                                path,
                                format!(
                                    "row {}: cannot read `{value}` in column `{name}` as a timestamp",
                                    start + k
                                ),
                            )
                        })?);
                    }
                }
            }
        }
        start += batch.num_rows();
    }
    Ok(columns)
}
