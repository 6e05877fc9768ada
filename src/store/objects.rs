//! Object-store access from bali's synchronous code: the stores a workdir lives on, and one
//! way to wait for their calls.
//!
//! The checkpoint store's commit log ([`super::log`]) talks to an [`ObjectStore`], so the same
//! protocol runs on a local disk ([`LocalFileSystem`], whose create-only put is a hard link)
//! and on any backend that offers create-only puts (S3's If-None-Match, the in-memory store of
//! the tests).

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use object_store::local::LocalFileSystem;
use object_store::ObjectStore;

use crate::error::{BaliError, Result};

/// The object store rooted at a local folder (created if missing): object `a/b` is the file
/// `root/a/b`.
pub fn local(root: &Path) -> Result<Arc<dyn ObjectStore>> {
    std::fs::create_dir_all(root).map_err(|e| BaliError::io(root, e))?;
    let store = LocalFileSystem::new_with_prefix(root).map_err(|e| BaliError::Store {
        path: root.to_path_buf(),
        reason: format!("cannot open as an object store: {e}"),
    })?;
    Ok(Arc::new(store))
}

/// Runs an object-store future to completion from synchronous code.
///
/// Outside any Tokio runtime it uses bali's own (two worker threads, started on first use);
/// on a worker of a multi-threaded runtime (DataFusion's, in `bali sql`) it blocks in place;
/// on a current-thread runtime, where blocking in place is not allowed, it waits on a helper
/// thread.
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Err(_) => runtime().block_on(future),
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(future))
        }
        Ok(_) => std::thread::scope(|s| {
            s.spawn(|| runtime().block_on(future))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bali-objects")
            .enable_all()
            .build()
            // Building a runtime fails only when the OS refuses threads or an event queue.
            .unwrap_or_else(|e| panic!("cannot start the object-store runtime: {e}"))
    })
}
