//! The `customer_links` step: after every source of an export finished (or on its own, as
//! `custlake link` on an existing output), reads the current customers of every source, pairs
//! the customers of different sources that share a match key, and commits one `customer_links`
//! snapshot per (source, tenant) of the left customers — kept unchanged by content hash, like
//! any snapshot. See [`crate::link`] for how the keys are held and grouped.

use std::path::PathBuf;
use std::time::Instant;

use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use custlake_schema::{Dataset, with_match_keys};
use tokio::sync::mpsc;

use crate::commit::catalog::PartitionRecord;
use crate::commit::manifest::{LinkSummary, RunManifest};
use crate::config::ParquetSinkConfig;
use crate::layout::PartitionTarget;
use crate::link::keys::key_entries;
use crate::link::pairs::group_links;
use crate::link::rows::{LinkRows, Side};
use crate::link::sorted_keys::{KeySorter, remove_runs};
use crate::model::new_run_id;
use crate::run::error::ExportError;
use crate::run::writing::output_location;
use crate::table::merge::{PartitionMerge, changed_keys};
use crate::table::{RunIdentity, TableFormat};
use crate::write::SinkError;
use crate::write::file_metadata::file_metadata;
use crate::write::location::OutputLocation;
use crate::write::partition::StagedPartition;
use crate::write::writers::{DatasetWriter, close_writer, spawn_writer};

/// The `customers` columns the step reads: the key, the name and the match keys, with the text
/// columns older files derive their match keys from (never `raw`, so memory stays small).
const KEY_SOURCE_COLUMNS: [&str; 10] = [
    "customer_id",
    "name",
    "phone",
    "mobile",
    "fax",
    "email",
    "phone_e164",
    "mobile_e164",
    "fax_e164",
    "email_normalized",
];

/// Rows per `customer_links` batch sent to a writer.
const LINK_BATCH_ROWS: usize = 16 * 1024;

/// How links are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSettings {
    /// A key shared by more customers than this (a switchboard number, `info@…`) gives no links
    /// (`[output] max_link_fanout`, default 20).
    pub max_link_fanout: usize,
    /// Match keys held in memory before sorted runs spill to disk.
    pub memory_budget_bytes: usize,
}

impl Default for LinkSettings {
    fn default() -> Self {
        Self {
            max_link_fanout: 20,
            memory_budget_bytes: 48 << 20,
        }
    }
}

/// What `custlake link` is asked to do.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// The output: a folder or `s3://bucket/prefix`.
    pub out: PathBuf,
    /// Parquet file settings of the new snapshots.
    pub parquet: ParquetSinkConfig,
    /// Fan-out limit and memory budget.
    pub settings: LinkSettings,
}

/// What a `custlake link` run did.
#[derive(Debug, Clone)]
pub struct LinkReport {
    /// The run id in the new files' names and metadata.
    pub run_id: String,
    /// Links, skipped keys and files.
    pub summary: LinkSummary,
    /// Housekeeping that did not succeed after the commit.
    pub warnings: Vec<String>,
}

/// Links the customers of an existing output (`custlake link`), commits the result and writes
/// a run manifest (no sources; the files and the link counts).
pub async fn link(options: LinkOptions) -> Result<LinkReport, ExportError> {
    let location = output_location(&options.out)?;
    link_at(location, options).await
}

/// [`link`] on an output built by the caller; `location` replaces `options.out`.
pub async fn link_at(
    location: OutputLocation,
    options: LinkOptions,
) -> Result<LinkReport, ExportError> {
    let started_at = Utc::now();
    let run_id = new_run_id(started_at);
    let identity = RunIdentity {
        run_id: run_id.clone(),
        started_at,
        operation: "link",
    };
    let output = TableFormat::open_existing(location, identity).await?;
    let summary = link_output(&output, &options.parquet, &options.settings).await?;
    let mut manifest = RunManifest::empty(&run_id, started_at);
    output.finish().await?.record_in(&mut manifest);
    manifest.links = Some(summary.clone());
    manifest.finished_at = Utc::now();
    manifest.elapsed_ms = summary.elapsed_ms;
    manifest.compute_totals();
    output.write_manifest(&manifest).await?;
    Ok(LinkReport {
        run_id,
        summary,
        warnings: manifest.warnings,
    })
}

/// Writes and publishes the links of `output`'s current customers as the run of `output`'s
/// identity (rows carry its start as `extracted_at`); the caller finishes the output.
pub(crate) async fn link_output(
    output: &TableFormat,
    parquet: &ParquetSinkConfig,
    settings: &LinkSettings,
) -> Result<LinkSummary, ExportError> {
    let clock = Instant::now();
    let run_id = output.identity().run_id.clone();
    let extracted_at = output.identity().started_at;
    let spill_dir = std::env::temp_dir().join(format!("custlake-links-{run_id}"));
    let result = LinkRun::new(output, &run_id, spill_dir.clone(), settings)
        .run(extracted_at, parquet)
        .await;
    remove_runs(&spill_dir);
    let mut summary = result?;
    summary.elapsed_ms = clock.elapsed().as_millis() as u64;
    Ok(summary)
}

/// One link step: the sides, the sorter and the counts.
struct LinkRun<'a> {
    output: &'a TableFormat,
    run_id: &'a str,
    settings: &'a LinkSettings,
    /// The customers partitions, one per side, in side order (U8 first, then by tenant).
    customers: Vec<&'a PartitionRecord>,
    sides: Vec<Side>,
    sorter: KeySorter,
    summary: LinkSummary,
}

impl<'a> LinkRun<'a> {
    fn new(
        output: &'a TableFormat,
        run_id: &'a str,
        spill_dir: PathBuf,
        settings: &'a LinkSettings,
    ) -> Self {
        let mut customers: Vec<&PartitionRecord> = output
            .current()
            .partitions
            .iter()
            .filter(|p| p.dataset == Dataset::Customers.as_str())
            .collect();
        customers.sort_by(|a, b| {
            (a.source != "yonyou_u8", &a.tenant).cmp(&(b.source != "yonyou_u8", &b.tenant))
        });
        let sides = customers
            .iter()
            .map(|p| Side {
                source: p.source.clone(),
                tenant: p.tenant.clone(),
            })
            .collect();
        Self {
            output,
            run_id,
            settings,
            customers,
            sides,
            sorter: KeySorter::new(spill_dir, settings.memory_budget_bytes),
            summary: LinkSummary::default(),
        }
    }

    async fn run(
        mut self,
        extracted_at: DateTime<Utc>,
        parquet: &ParquetSinkConfig,
    ) -> Result<LinkSummary, ExportError> {
        for side in 0..self.customers.len() {
            self.read_keys(side).await?;
        }
        self.summary.spilled_runs = self.sorter.spilled_runs();
        self.summary.max_link_fanout = self.settings.max_link_fanout;
        let mut writers = self.start_writers(parquet)?;
        let linked = self.write_links(&mut writers, extracted_at).await;
        let staged = self.close_writers(writers, linked.err()).await?;
        for (target, partition) in staged {
            self.output
                .publish_derived(partition)
                .await
                .map_err(|error| ExportError::Links {
                    partition: target.to_string(),
                    error,
                })?;
        }
        Ok(self.summary)
    }

    fn target(&self, side: usize) -> PartitionTarget {
        let side = &self.sides[side];
        PartitionTarget::new(Dataset::CustomerLinks.as_str(), &side.source, &side.tenant)
    }

    /// Adds the match keys of the current customers of `side` (with any increments an older
    /// output holds, the latest row per key) to the sorter.
    async fn read_keys(&mut self, side: usize) -> Result<(), ExportError> {
        let record = self.customers[side];
        let fail = |error| ExportError::Links {
            partition: record.target().to_string(),
            error,
        };
        let same_source: Vec<PartitionRecord> = self
            .output
            .current()
            .partitions
            .iter()
            .filter(|p| p.source == record.source && p.tenant == record.tenant)
            .cloned()
            .collect();
        let location = self.output.location();
        let changed = changed_keys(location, &same_source).await?;
        let merge = PartitionMerge::new(record, &changed, Dataset::Customers);
        let (batches, mut received) = mpsc::channel::<RecordBatch>(2);
        let copy = async {
            let copied = merge
                .copy_columns(location, Some(&KEY_SOURCE_COLUMNS), &batches)
                .await;
            drop(batches);
            copied
        };
        let sorter = &mut self.sorter;
        let spill_dir = std::env::temp_dir();
        let mut customers = 0u64;
        let consume = async {
            while let Some(batch) = received.recv().await {
                customers += batch.num_rows() as u64;
                let side = u32::try_from(side).unwrap_or(u32::MAX);
                let batch = with_match_keys(Dataset::Customers, &batch, &record.source);
                sorter
                    .extend(key_entries(&batch, side))
                    .map_err(|e| SinkError::io("spill match keys into", spill_dir.clone(), e))?;
            }
            Ok::<(), SinkError>(())
        };
        let (copied, consumed) = tokio::join!(copy, consume);
        copied.map_err(fail)?;
        consumed.map_err(fail)?;
        self.summary.customers += customers;
        Ok(())
    }

    /// One writer per side, with its rows.
    #[expect(
        clippy::result_large_err,
        reason = "called once per link step by functions that return ExportError themselves"
    )]
    fn start_writers(
        &self,
        parquet: &ParquetSinkConfig,
    ) -> Result<Vec<(LinkRows, DatasetWriter)>, ExportError> {
        let mut writers = Vec::with_capacity(self.sides.len());
        for (index, side) in self.sides.iter().enumerate() {
            let target = self.target(index);
            let metadata = file_metadata(self.run_id, &target);
            let writer = self
                .output
                .writer(
                    target.clone(),
                    Dataset::CustomerLinks.schema(),
                    metadata,
                    parquet,
                )
                .map_err(|error| ExportError::Links {
                    partition: target.to_string(),
                    error,
                })?;
            writers.push((LinkRows::new(side.clone()), spawn_writer(writer)));
        }
        Ok(writers)
    }

    /// Pairs every key group into links and sends them to the writer of their left side.
    async fn write_links(
        &mut self,
        writers: &mut [(LinkRows, DatasetWriter)],
        extracted_at: DateTime<Utc>,
    ) -> Result<(), ExportError> {
        let spill = |e| ExportError::Links {
            partition: Dataset::CustomerLinks.as_str().to_owned(),
            error: SinkError::io("read spilled match keys from", std::env::temp_dir(), e),
        };
        let mut groups = self.sorter.finish().map_err(spill)?;
        while let Some(group) = groups.next_group().map_err(spill)? {
            let outcome = group_links(&group, self.settings.max_link_fanout);
            if let Some(kind) = outcome.skipped {
                *self
                    .summary
                    .skipped_keys
                    .entry(kind.as_str().to_owned())
                    .or_default() += 1;
            }
            for link in &outcome.links {
                let right = self.sides.get(link.right_side as usize);
                let left = writers.get_mut(link.left_side as usize);
                let (Some(right), Some((rows, writer))) = (right, left) else {
                    continue;
                };
                rows.push(link, right);
                *self
                    .summary
                    .links
                    .entry(link.match_key.as_str().to_owned())
                    .or_default() += 1;
                if rows.len() >= LINK_BATCH_ROWS && !self.send(rows, writer, extracted_at).await? {
                    return Ok(());
                }
            }
        }
        for (rows, writer) in writers.iter_mut() {
            if rows.len() > 0 && !self.send(rows, writer, extracted_at).await? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Sends the rows as one batch; `false` when the writer stopped (its error is reported when
    /// it is closed).
    async fn send(
        &self,
        rows: &mut LinkRows,
        writer: &DatasetWriter,
        extracted_at: DateTime<Utc>,
    ) -> Result<bool, ExportError> {
        let batch = rows
            .batch(self.run_id, extracted_at)
            .map_err(|error| ExportError::Links {
                partition: Dataset::CustomerLinks.as_str().to_owned(),
                error: SinkError::Catalog {
                    location: Dataset::CustomerLinks.as_str().to_owned(),
                    detail: format!("a customer_links batch does not match its schema: {error}"),
                },
            })?;
        Ok(writer.batches.send(batch).await.is_ok())
    }

    /// Closes every writer; on any failure (`failure`, or a writer's own) aborts every staged
    /// partition and returns the first error.
    async fn close_writers(
        &self,
        writers: Vec<(LinkRows, DatasetWriter)>,
        mut failure: Option<ExportError>,
    ) -> Result<Vec<(PartitionTarget, StagedPartition)>, ExportError> {
        let mut staged = Vec::new();
        for (side, (_, writer)) in writers.into_iter().enumerate() {
            let target = self.target(side);
            let closed = match close_writer(writer).await {
                Ok(closed) => closed,
                Err(join) => Err(SinkError::Catalog {
                    location: target.to_string(),
                    detail: format!("the writer thread ended abnormally: {join}"),
                }),
            };
            match closed {
                Ok(partition) => staged.push((target, partition)),
                Err(error) => {
                    failure = failure.or(Some(ExportError::Links {
                        partition: target.to_string(),
                        error,
                    }))
                }
            }
        }
        match failure {
            None => Ok(staged),
            Some(error) => {
                for (_, partition) in staged {
                    let _ = partition.abort();
                }
                Err(error)
            }
        }
    }
}
