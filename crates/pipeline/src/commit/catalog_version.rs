//! One writer at a time for a Parquet output on an object store, where no lock file helps: a
//! run notes the version (e-tag) of `_current.json` before it reads the catalog, and writes its
//! own catalog only if that is still the current version — a conditional PUT (`If-Match`, or
//! `If-None-Match: *` when there was none), as the Delta log commits. A run that loses the race
//! fails with a clear message and publishes nothing: its uploads stay unreferenced and are swept
//! by the next run that writes those partitions.

use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};

use crate::layout::CATALOG_FILE;
use crate::write::SinkError;
use crate::write::location::ObjectStoreOutput;

/// The version of `_current.json` a run read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CatalogVersion {
    /// There was none: the run's write must create it.
    Absent,
    /// This e-tag (and object version, where the store keeps versions).
    Present(UpdateVersion),
}

/// The current version of the catalog of `output`.
pub(crate) async fn catalog_version(
    output: &ObjectStoreOutput,
) -> Result<CatalogVersion, SinkError> {
    match output.store.head(&output.key(CATALOG_FILE)).await {
        Ok(meta) => Ok(CatalogVersion::Present(UpdateVersion {
            e_tag: meta.e_tag,
            version: meta.version,
        })),
        Err(object_store::Error::NotFound { .. }) => Ok(CatalogVersion::Absent),
        Err(error) => Err(SinkError::ObjectStore {
            action: "read",
            location: output.display(CATALOG_FILE),
            error,
        }),
    }
}

/// Writes `json` as the catalog of `output` if its current version is still `read`.
pub(crate) async fn put_catalog_if_unchanged(
    output: &ObjectStoreOutput,
    json: Vec<u8>,
    read: &CatalogVersion,
) -> Result<(), SinkError> {
    let mode = match read {
        CatalogVersion::Absent => PutMode::Create,
        CatalogVersion::Present(version) => PutMode::Update(version.clone()),
    };
    let options = PutOptions {
        mode,
        ..PutOptions::default()
    };
    let key = output.key(CATALOG_FILE);
    let payload = PutPayload::from(bytes::Bytes::from(json));
    match output.store.put_opts(&key, payload, options).await {
        Ok(_) => Ok(()),
        Err(
            object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. },
        ) => Err(SinkError::Catalog {
            location: output.display(CATALOG_FILE),
            detail: "another custlake run committed this output after this run read it (a \
                     Parquet output takes one writer at a time); nothing of this run became \
                     current: run it again, or use format = \"delta\" for many writers"
                .to_owned(),
        }),
        Err(error) => Err(SinkError::ObjectStore {
            action: "write",
            location: output.display(CATALOG_FILE),
            error,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use object_store::memory::InMemory;

    use super::*;

    #[tokio::test]
    async fn a_catalog_written_by_another_run_since_it_was_read_is_not_overwritten()
    -> Result<(), Box<dyn std::error::Error>> {
        let output = ObjectStoreOutput::new(Arc::new(InMemory::new()), "lake", "memory://lake");
        let none = catalog_version(&output).await?;
        assert_eq!(none, CatalogVersion::Absent);
        put_catalog_if_unchanged(&output, b"{\"run\":1}".to_vec(), &none).await?;
        // A second run that also read "none" loses.
        let lost = put_catalog_if_unchanged(&output, b"{\"run\":2}".to_vec(), &none).await;
        let message = lost.expect_err("the catalog exists now").to_string();
        assert!(message.contains("another custlake run"), "{message}");

        let first = catalog_version(&output).await?;
        put_catalog_if_unchanged(&output, b"{\"run\":3}".to_vec(), &first).await?;
        let stale = put_catalog_if_unchanged(&output, b"{\"run\":4}".to_vec(), &first).await;
        assert!(stale.is_err(), "run 3 committed after `first` was read");
        let bytes = output
            .store
            .get(&output.key(CATALOG_FILE))
            .await?
            .bytes()
            .await?;
        assert_eq!(&bytes[..], b"{\"run\":3}");
        Ok(())
    }
}
