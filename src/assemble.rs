//! Where the layers meet (the composition root): the registry every entry
//! point uses, holding the built-in drivers, and the `Db` constructors
//! that look drivers up in it. `core` never names a driver; `drivers`
//! only registers into what `core` defines; this module connects the two,
//! and `ffi` calls through here.

use crate::core::db::Db;
use crate::core::error::Result;
use crate::core::registry::Registry;
use once_cell::sync::Lazy;

static REGISTRY: Lazy<Registry> = Lazy::new(|| {
    let r = Registry::new();
    crate::drivers::register_builtins(&r);
    r
});

/// The registry of this process: the built-in drivers, and any registered
/// since.
pub fn registry() -> &'static Registry {
    &REGISTRY
}

impl Db {
    /// Open a pool for `url`. Every engine connects once here, so that a
    /// wrong URL, path, password or host fails at open; that connection is
    /// kept idle for the first checkout.
    pub fn open(url: &str) -> Result<Db> {
        Db::open_in(registry(), url, &[])
    }

    /// Open a pool for `url` with more options, as if they were in its
    /// query string (given here, they win over the URL's). An option given
    /// twice in the URL, or twice in `options`, is an error. Nothing runs
    /// at open, so every error is `RetrySafety::NotSent`.
    pub fn open_with(url: &str, options: &[(String, String)]) -> Result<Db> {
        Db::open_in(registry(), url, options)
    }
}
