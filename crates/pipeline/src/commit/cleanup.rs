//! After the catalog commit: what is no longer referenced goes. On an object store the
//! `_SUCCESS` markers of the published partitions are written, unreferenced files of every
//! partition the run wrote are deleted, as are folded increments of older outputs and the local
//! work folder; locally folded increment folders and the run's staging folders are removed.
//!
//! Nothing here can undo the commit: every failure becomes a warning for the run manifest.

use std::collections::BTreeSet;
use std::path::Path;

use crate::commit::catalog::{Catalog, Content, Increment, marker_json};
use crate::commit::legacy_increments::remove_local_increment;
use crate::commit::partition::{CommittedPartition, marker_of};
use crate::layout;
use crate::write::SinkError;
use crate::write::location::{ObjectStoreOutput, OutputLocation};
use crate::write::object_store::commit::{delete_all, put_object, remove_unreferenced};
use crate::write::parquet::remove_run_staging;
use crate::write::partition::PartitionPlace;

/// What a committed catalog leaves to clean up.
pub(crate) struct CleanUp<'a> {
    /// The run that committed.
    pub(crate) run_id: &'a str,
    /// The catalog as committed.
    pub(crate) catalog: &'a Catalog,
    /// Partitions whose new content became current.
    pub(crate) published: &'a [&'a CommittedPartition],
    /// Increments of an older output folded into the partition's files.
    pub(crate) consumed: &'a [Increment],
    /// Every partition a writer was created for.
    pub(crate) touched: &'a [PartitionPlace],
}

impl CleanUp<'_> {
    /// Cleans up `location`; returns what did not succeed, as warnings.
    pub(crate) async fn run(&self, location: &OutputLocation) -> Vec<String> {
        let mut warnings = Vec::new();
        match location {
            OutputLocation::ObjectStore(store) => {
                self.put_markers(store, &mut warnings).await;
                self.sweep_touched(store, &mut warnings).await;
                self.delete_consumed(store, &mut warnings).await;
                self.remove_work_dir(store, &mut warnings);
            }
            OutputLocation::Local(dir) => self.clean_local(dir, &mut warnings),
        }
        warnings
    }

    /// The `_SUCCESS` marker of every published partition.
    async fn put_markers(&self, store: &ObjectStoreOutput, warnings: &mut Vec<String>) {
        for committed in self.published {
            if let Err(e) = put_marker(store, committed).await {
                warnings.push(format!("a _SUCCESS marker was not written: {e}"));
            }
        }
    }

    /// Deletes what the catalog does not reference in the folders the run wrote (replaced,
    /// unchanged or failed uploads).
    async fn sweep_touched(&self, store: &ObjectStoreOutput, warnings: &mut Vec<String>) {
        let mut swept = BTreeSet::new();
        for place in self.touched {
            let dir = place.relative_dir();
            if !swept.insert(dir.clone()) {
                continue;
            }
            let record = self.catalog.partition(&place.target);
            let keep: BTreeSet<String> = match record {
                Some(r) => r.snapshot.files.iter().map(|f| f.path.clone()).collect(),
                None => BTreeSet::new(),
            };
            if let Err(e) = remove_unreferenced(store, &dir, &keep).await {
                warnings.push(format!("unreferenced files were not deleted: {e}"));
            }
        }
    }

    /// Deletes the folded increments' files and their markers.
    async fn delete_consumed(&self, store: &ObjectStoreOutput, warnings: &mut Vec<String>) {
        let mut stale: Vec<String> = Vec::new();
        for increment in self.consumed {
            stale.extend(increment.content.files.iter().map(|f| f.path.clone()));
            let dirs = folders_of(&increment.content);
            stale.extend(dirs.into_iter().map(layout::marker_path));
        }
        if let Err(e) = delete_all(store, &stale).await {
            warnings.push(format!("folded increments were not all deleted: {e}"));
        }
    }

    /// Removes the run's staging from the local work folder, and the folder once it is empty.
    fn remove_work_dir(&self, store: &ObjectStoreOutput, warnings: &mut Vec<String>) {
        let work_dir = store.local_work_dir();
        if work_dir.exists() {
            if let Err(e) = remove_run_staging(&work_dir, self.run_id) {
                warnings.push(format!("local work folder not cleaned up: {e}"));
            }
            // Only succeeds once nothing else is left in it.
            let _ = std::fs::remove_dir(&work_dir);
        }
    }

    /// Locally: the folded increment folders and the run's staging folders.
    fn clean_local(&self, dir: &Path, warnings: &mut Vec<String>) {
        for increment in self.consumed {
            for relative in folders_of(&increment.content) {
                if let Err(e) = remove_local_increment(dir, relative) {
                    warnings.push(format!("a folded increment was not deleted: {e}"));
                }
            }
        }
        if let Err(e) = remove_run_staging(dir, self.run_id) {
            warnings.push(format!("staging folder not cleaned up: {e}"));
        }
    }
}

/// The folders (relative to the output) that hold `content`'s files.
fn folders_of(content: &Content) -> BTreeSet<&str> {
    content
        .files
        .iter()
        .filter_map(|f| f.path.rsplit_once('/').map(|(dir, _)| dir))
        .collect()
}

async fn put_marker(
    store: &ObjectStoreOutput,
    committed: &CommittedPartition,
) -> Result<(), SinkError> {
    let marker = marker_of(&committed.place, &committed.content);
    let relative = layout::marker_path(&committed.place.relative_dir());
    put_object(store, &relative, marker_json(&marker)).await
}
