//! End-to-end tests of the Parquet snapshot sink: files readable with the same schema and rows,
//! the documented Parquet properties, file rotation, and commit/abort semantics on disk.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, DictionaryArray, MapBuilder, RecordBatch, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatchReader;
use custlake_pipeline::internals::SinkError;
use custlake_pipeline::internals::{
    ParquetSinkConfig, PartitionTarget, STAGING_DIR, SnapshotWriter, StagedSnapshot, SwapMethod,
    remove_run_staging,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn described(field: Field, description: &str) -> Field {
    field.with_metadata(HashMap::from([(
        "description".to_owned(),
        description.to_owned(),
    )]))
}

/// A small schema with the awkward types of the real one: dictionary, map, date, UTC timestamp.
fn schema() -> SchemaRef {
    let map_type = DataType::Map(
        Arc::new(Field::new(
            "entries",
            DataType::Struct(
                vec![
                    Field::new("key", DataType::Utf8, false),
                    Field::new("value", DataType::Utf8, true),
                ]
                .into(),
            ),
            false,
        )),
        false,
    );
    Arc::new(Schema::new(vec![
        described(
            Field::new("customer_id", DataType::Utf8, false),
            "Vendor key of the customer",
        ),
        described(
            Field::new(
                "category",
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                false,
            ),
            "Category of the customer",
        ),
        described(
            Field::new("established_on", DataType::Date32, true),
            "Date the customer was established",
        ),
        described(
            Field::new(
                "source_modified_at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            "Last change at the vendor",
        ),
        described(
            Field::new("custom_fields", map_type, true),
            "Non-empty custom fields",
        ),
    ]))
}

/// `rows` rows whose ids start at `first`.
fn batch(first: usize, rows: usize) -> Result<RecordBatch, Box<dyn std::error::Error>> {
    let ids: Vec<String> = (first..first + rows).map(|i| format!("C{i:06}")).collect();
    let sources: DictionaryArray<Int32Type> = (first..first + rows)
        .map(|i| {
            if i % 3 == 0 {
                "yeastar_ycm"
            } else {
                "yonyou_u8"
            }
        })
        .collect();
    let dates: Date32Array = (first..first + rows)
        .map(|i| (i % 5 != 0).then_some(19_000 + i as i32))
        .collect();
    let times = TimestampMicrosecondArray::from(
        (first..first + rows)
            .map(|i| Some(1_700_000_000_000_000 + i as i64))
            .collect::<Vec<_>>(),
    )
    .with_timezone("UTC");
    // Arrow's canonical names, as the schema declares them (arrow 59's builder defaults to
    // `keys`/`values`).
    let names = arrow::array::MapFieldNames {
        entry: "entries".into(),
        key: "key".into(),
        value: "value".into(),
    };
    let mut custom = MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new());
    for i in first..first + rows {
        if i % 4 == 0 {
            custom.append(false)?;
        } else {
            custom.keys().append_value("self_define1");
            custom.values().append_value(format!("v{i}"));
            custom.append(true)?;
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ids)),
        Arc::new(sources),
        Arc::new(dates),
        Arc::new(times),
        Arc::new(custom.finish()),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

fn target() -> PartitionTarget {
    PartitionTarget::new("customers", "yonyou_u8", "east")
}

fn metadata(run_id: &str) -> Vec<(String, String)> {
    vec![
        ("custlake.version".to_owned(), "0.1.0".to_owned()),
        ("custlake.schema_version".to_owned(), "1".to_owned()),
        ("custlake.run_id".to_owned(), run_id.to_owned()),
        ("custlake.source".to_owned(), "yonyou_u8".to_owned()),
        ("custlake.tenant".to_owned(), "east".to_owned()),
    ]
}

/// Writes `batches` of (first id, rows) and stops before commit.
fn stage(
    out: &Path,
    run_id: &str,
    config: &ParquetSinkConfig,
    batches: &[(usize, usize)],
) -> Result<StagedSnapshot, Box<dyn std::error::Error>> {
    let mut writer =
        SnapshotWriter::create(out, target(), run_id, schema(), metadata(run_id), config)?;
    for &(first, rows) in batches {
        writer.write(&batch(first, rows)?)?;
    }
    Ok(writer.finish()?)
}

fn live_dir(out: &Path) -> PathBuf {
    out.join("customers/source=yonyou_u8/tenant=east")
}

/// File name → contents of every file in a folder.
fn contents(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, Box<dyn std::error::Error>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        files.insert(
            entry.file_name().to_string_lossy().into_owned(),
            fs::read(entry.path())?,
        );
    }
    Ok(files)
}

fn read_rows(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>), Box<dyn std::error::Error>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path)?)?.build()?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    Ok((schema, batches))
}

fn small_config() -> ParquetSinkConfig {
    ParquetSinkConfig {
        row_group_rows: 100,
        ..ParquetSinkConfig::default()
    }
}

#[test]
fn committed_file_reads_back_with_same_schema_and_rows() -> TestResult {
    let out = tempfile::tempdir()?;
    let committed = stage(
        out.path(),
        "run-1",
        &small_config(),
        &[(0, 120), (120, 130)],
    )?
    .commit()?;

    assert_eq!(committed.files.len(), 1);
    assert_eq!(committed.rows(), 250);
    let file = &committed.files[0];
    assert_eq!(
        file.path,
        Path::new("customers/source=yonyou_u8/tenant=east/part-run-1-00000.parquet")
    );
    let on_disk = out.path().join(&file.path);
    assert_eq!(fs::metadata(&on_disk)?.len(), file.bytes);

    let (read_schema, batches) = read_rows(&on_disk)?;
    // Field metadata (descriptions), dictionary, map, date and UTC timestamp types all survive.
    assert_eq!(read_schema.fields(), schema().fields());
    let expected = concat_batches(&schema(), &[batch(0, 250)?])?;
    let actual = concat_batches(&read_schema, &batches)?;
    assert_eq!(actual.num_rows(), 250);
    assert_eq!(actual.columns(), expected.columns());
    Ok(())
}

#[test]
fn partition_columns_are_left_out_of_the_files() -> TestResult {
    let dictionary = || DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let schema = Arc::new(Schema::new(vec![
        Field::new("source", dictionary(), false),
        Field::new("tenant", dictionary(), false),
        Field::new("customer_id", DataType::Utf8, false),
    ]));
    let constant = |value: &str| -> ArrayRef {
        Arc::new(std::iter::repeat_n(value, 3).collect::<DictionaryArray<Int32Type>>())
    };
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            constant("yonyou_u8"),
            constant("east"),
            Arc::new(StringArray::from(vec!["a", "b", "c"])),
        ],
    )?;
    let out = tempfile::tempdir()?;
    let mut writer = SnapshotWriter::create(
        out.path(),
        target(),
        "run-1",
        schema,
        metadata("run-1"),
        &small_config(),
    )?;
    writer.write(&batch)?;
    let committed = writer.finish()?.commit()?;
    let (read_schema, batches) = read_rows(&out.path().join(&committed.files[0].path))?;
    let names: Vec<&str> = read_schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    // `source=yonyou_u8/tenant=east` in the path carries them.
    assert_eq!(names, ["customer_id"]);
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
    Ok(())
}

#[test]
fn files_carry_zstd_statistics_dictionaries_metadata_and_bounded_row_groups() -> TestResult {
    let out = tempfile::tempdir()?;
    let config = small_config();
    let committed = stage(out.path(), "run-1", &config, &[(0, 120), (120, 130)])?.commit()?;
    let file = fs::File::open(out.path().join(&committed.files[0].path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let parquet_metadata = builder.metadata();

    let key_values: HashMap<_, _> = parquet_metadata
        .file_metadata()
        .key_value_metadata()
        .ok_or("no key-value metadata")?
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.as_deref()))
        .collect();
    for (key, value) in metadata("run-1") {
        assert_eq!(
            key_values.get(key.as_str()),
            Some(&Some(value.as_str())),
            "{key}"
        );
    }
    assert!(
        key_values.contains_key("ARROW:schema"),
        "Arrow schema is embedded"
    );

    assert_eq!(parquet_metadata.num_row_groups(), 3);
    for row_group in parquet_metadata.row_groups() {
        assert!(row_group.num_rows() <= config.row_group_rows as i64);
        for column in row_group.columns() {
            let path = column.column_path();
            assert!(
                matches!(column.compression(), Compression::ZSTD(_)),
                "{path}"
            );
            assert!(column.statistics().is_some(), "chunk statistics for {path}");
            assert!(
                column.column_index_offset().is_some(),
                "page statistics for {path}"
            );
            assert!(
                column.offset_index_offset().is_some(),
                "offset index for {path}"
            );
        }
    }
    let id_column = &parquet_metadata.row_group(0).columns()[0];
    assert!(
        id_column.dictionary_page_offset().is_some(),
        "dictionary encoded"
    );
    Ok(())
}

#[test]
fn files_rotate_by_rows_and_split_batches_exactly() -> TestResult {
    let out = tempfile::tempdir()?;
    let config = ParquetSinkConfig {
        row_group_rows: 30,
        max_rows_per_file: 100,
        ..ParquetSinkConfig::default()
    };
    let committed = stage(
        out.path(),
        "run-1",
        &config,
        &[(0, 60), (60, 60), (120, 130)],
    )?
    .commit()?;

    let rows: Vec<u64> = committed.files.iter().map(|file| file.rows).collect();
    assert_eq!(rows, [100, 100, 50]);
    let mut first_id = 0;
    for (index, file) in committed.files.iter().enumerate() {
        let name = format!("part-run-1-{index:05}.parquet");
        assert_eq!(file.path.file_name(), Some(name.as_ref()));
        let path = out.path().join(&file.path);
        assert_eq!(fs::metadata(&path)?.len(), file.bytes);
        let (read_schema, batches) = read_rows(&path)?;
        let actual = concat_batches(&read_schema, &batches)?;
        let expected = batch(first_id, file.rows as usize)?;
        assert_eq!(actual.columns(), expected.columns(), "{name}");
        first_id += file.rows as usize;
    }
    assert_eq!(contents(&live_dir(out.path()))?.len(), 3);
    Ok(())
}

#[test]
fn files_rotate_by_bytes() -> TestResult {
    let out = tempfile::tempdir()?;
    let config = ParquetSinkConfig {
        max_bytes_per_file: 1,
        ..ParquetSinkConfig::default()
    };
    let committed =
        stage(out.path(), "run-1", &config, &[(0, 10), (10, 10), (20, 10)])?.commit()?;
    assert_eq!(committed.files.len(), 3);
    assert_eq!(committed.rows(), 30);
    Ok(())
}

#[test]
fn empty_snapshot_is_an_empty_partition_folder() -> TestResult {
    // No 0-row file: an empty partition is an empty folder, as Spark and Delta Lake leave one.
    let out = tempfile::tempdir()?;
    let committed = stage(out.path(), "run-1", &small_config(), &[(0, 0)])?.commit()?;
    assert!(committed.files.is_empty(), "{:?}", committed.files);
    assert_eq!(committed.rows(), 0);
    assert!(live_dir(out.path()).is_dir());
    assert!(contents(&live_dir(out.path()))?.is_empty());
    Ok(())
}

#[test]
fn commit_without_a_previous_snapshot_creates_the_partition() -> TestResult {
    let out = tempfile::tempdir()?;
    let staged = stage(out.path(), "run-1", &small_config(), &[(0, 10)])?;
    assert!(!out.path().join("customers").exists());
    let committed = staged.commit()?;
    assert_eq!(committed.swap, SwapMethod::Renamed);
    assert_eq!(
        contents(&live_dir(out.path()))?
            .into_keys()
            .collect::<Vec<_>>(),
        ["part-run-1-00000.parquet"]
    );
    Ok(())
}

#[test]
fn commit_replaces_the_previous_snapshot_completely() -> TestResult {
    let out = tempfile::tempdir()?;
    let rotating = ParquetSinkConfig {
        max_rows_per_file: 10,
        ..small_config()
    };
    let first = stage(out.path(), "run-1", &rotating, &[(0, 30)])?.commit()?;
    assert_eq!(first.files.len(), 3);

    let second = stage(out.path(), "run-2", &small_config(), &[(100, 5)])?.commit()?;
    assert!(matches!(
        second.swap,
        SwapMethod::Exchanged | SwapMethod::RenamedAside
    ));
    assert_eq!(
        contents(&live_dir(out.path()))?
            .into_keys()
            .collect::<Vec<_>>(),
        ["part-run-2-00000.parquet"]
    );
    let (_, batches) = read_rows(&out.path().join(&second.files[0].path))?;
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 5);

    // The replaced snapshot is gone from staging too, and the run's leftovers go with cleanup.
    assert!(
        !out.path()
            .join(STAGING_DIR)
            .join("run-2/customers/source=yonyou_u8/tenant=east")
            .exists()
    );
    remove_run_staging(out.path(), "run-1")?;
    remove_run_staging(out.path(), "run-2")?;
    assert!(!out.path().join(STAGING_DIR).exists());
    Ok(())
}

#[test]
fn abort_and_abandoned_writers_leave_the_previous_snapshot_byte_identical() -> TestResult {
    let out = tempfile::tempdir()?;
    stage(out.path(), "run-1", &small_config(), &[(0, 50)])?.commit()?;
    let before = contents(&live_dir(out.path()))?;
    let staging = out
        .path()
        .join(STAGING_DIR)
        .join("run-2/customers/source=yonyou_u8/tenant=east");

    // Explicit abort.
    let staged = stage(out.path(), "run-2", &small_config(), &[(500, 70)])?;
    assert_eq!(staged.rows(), 70);
    staged.abort()?;
    assert!(!staging.exists());
    assert_eq!(contents(&live_dir(out.path()))?, before);

    // A staged snapshot dropped without commit.
    drop(stage(out.path(), "run-2", &small_config(), &[(500, 70)])?);
    assert!(!staging.exists());
    assert_eq!(contents(&live_dir(out.path()))?, before);

    // A writer abandoned mid-way (a source failing during export).
    let mut writer = SnapshotWriter::create(
        out.path(),
        target(),
        "run-2",
        schema(),
        metadata("run-2"),
        &small_config(),
    )?;
    writer.write(&batch(500, 70)?)?;
    assert!(staging.exists());
    drop(writer);
    assert!(!staging.exists());
    assert_eq!(contents(&live_dir(out.path()))?, before);
    Ok(())
}

#[test]
fn batch_with_another_schema_is_refused_with_the_partition_named() -> TestResult {
    let out = tempfile::tempdir()?;
    let mut writer = SnapshotWriter::create(
        out.path(),
        target(),
        "run-1",
        schema(),
        metadata("run-1"),
        &small_config(),
    )?;
    let other = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("x", DataType::Utf8, true)])),
        vec![Arc::new(StringArray::from(vec!["a"]))],
    )?;
    let error = writer.write(&other).expect_err("schema differs");
    assert!(matches!(error, SinkError::SchemaMismatch { .. }));
    assert!(
        error
            .to_string()
            .contains("customers/source=yonyou_u8/tenant=east"),
        "{error}"
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn unusable_output_folder_gives_an_error_naming_the_path() -> TestResult {
    let dir = tempfile::tempdir()?;
    // A file where the output folder should be fails even for root.
    let not_a_folder = dir.path().join("out");
    fs::write(&not_a_folder, b"")?;
    let error = SnapshotWriter::create(
        &not_a_folder,
        target(),
        "run-1",
        schema(),
        metadata("run-1"),
        &small_config(),
    )
    .err()
    .ok_or("creating under a file must fail")?;
    let message = error.to_string();
    assert!(
        message.contains(&not_a_folder.display().to_string()),
        "{message}"
    );
    assert!(message.starts_with("cannot "), "{message}");

    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!("running as root, which can write anywhere: permission check skipped");
        return Ok(());
    }
    let read_only = dir.path().join("read-only");
    fs::create_dir(&read_only)?;
    let mut permissions = fs::metadata(&read_only)?.permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o555);
    fs::set_permissions(&read_only, permissions)?;
    let error = SnapshotWriter::create(
        &read_only,
        target(),
        "run-1",
        schema(),
        metadata("run-1"),
        &small_config(),
    )
    .err()
    .ok_or("creating in a read-only folder must fail")?;
    let message = error.to_string();
    assert!(
        message.contains(&read_only.display().to_string()),
        "{message}"
    );
    assert!(message.contains("writable"), "{message}");
    Ok(())
}

#[test]
fn names_that_would_escape_the_output_folder_are_refused() -> TestResult {
    let out = tempfile::tempdir()?;
    let bad_tenant = PartitionTarget::new("customers", "yonyou_u8", "../../etc");
    let result = SnapshotWriter::create(
        out.path(),
        bad_tenant,
        "run-1",
        schema(),
        metadata("run-1"),
        &small_config(),
    );
    assert!(matches!(
        result,
        Err(SinkError::InvalidPathComponent { what: "tenant", .. })
    ));
    assert_eq!(fs::read_dir(out.path())?.count(), 0);
    Ok(())
}

#[test]
fn wide_rows_close_row_groups_early_to_bound_memory() -> TestResult {
    let out = tempfile::tempdir()?;
    let raw_schema = Arc::new(Schema::new(vec![Field::new("raw", DataType::Utf8, true)]));
    let config = ParquetSinkConfig {
        row_group_rows: 100_000,
        max_row_group_bytes: 64 * 1024,
        ..ParquetSinkConfig::default()
    };
    let mut writer = SnapshotWriter::create(
        out.path(),
        target(),
        "run-1",
        raw_schema.clone(),
        Vec::new(),
        &config,
    )?;
    // ~2 KiB of distinct JSON text per row, 2000 rows: ~4 MiB in one would-be row group.
    for chunk in 0..20 {
        let raw: Vec<String> = (0..100)
            .map(|i| {
                format!(
                    r#"{{"id":{},"memo":"{}"}}"#,
                    chunk * 100 + i,
                    "x".repeat(2000) + &i.to_string()
                )
            })
            .collect();
        let batch =
            RecordBatch::try_new(raw_schema.clone(), vec![Arc::new(StringArray::from(raw))])?;
        writer.write(&batch)?;
    }
    let committed = writer.finish()?.commit()?;
    let file = fs::File::open(out.path().join(&committed.files[0].path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let row_groups = builder.metadata().num_row_groups();
    assert!(
        row_groups > 1,
        "expected early row group flushes, got {row_groups}"
    );
    assert_eq!(committed.rows(), 2000);
    Ok(())
}
