//! Uploaded files (work-order photos): bytes in an object store — a folder
//! under the data dir by default; an S3-compatible bucket for multi-instance
//! deployments can be put behind the same `ObjectStore` trait — and the
//! metadata in the database.

use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::StoreError;

#[derive(Clone)]
pub struct Files {
    inner: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Files({})", self.inner)
    }
}

fn store_err(e: object_store::Error) -> StoreError {
    StoreError::Config(format!("file store: {e}"))
}

impl Files {
    /// Files in `dir` (created when missing).
    pub fn local(dir: &std::path::Path) -> Result<Files, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(store_err)?;
        Ok(Files {
            inner: Arc::new(fs),
        })
    }

    /// Any object store (S3-compatible, in-memory for tests).
    pub fn with(store: Arc<dyn ObjectStore>) -> Files {
        Files { inner: store }
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let path = ObjectPath::parse(key)
            .map_err(|e| StoreError::Config(format!("bad key {key}: {e}")))?;
        self.inner
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(store_err)?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let path = ObjectPath::parse(key)
            .map_err(|e| StoreError::Config(format!("bad key {key}: {e}")))?;
        match self.inner.get(&path).await {
            Ok(r) => Ok(r.bytes().await.map_err(store_err)?.to_vec()),
            Err(object_store::Error::NotFound { .. }) => {
                Err(StoreError::NotFound(format!("file {key}")))
            }
            Err(e) => Err(store_err(e)),
        }
    }
}
