//! The driver registry: a runtime table from URL scheme to driver that
//! drivers register into. The core looks drivers up here and nowhere else;
//! it never names one. The built-in drivers are registered by the crate's
//! composition root (`crate::assemble`), and a driver loaded at run time
//! registers the same way.

use super::driver::Driver;
use super::error::{Error, Result, Status};
use std::sync::{Arc, RwLock};

/// Drivers by URL scheme.
#[derive(Default)]
pub struct Registry {
    drivers: RwLock<Vec<Arc<dyn Driver>>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Add `driver`. A name or URL scheme another driver already has is
    /// `ALREADY_EXISTS`, and nothing is added.
    pub fn register(&self, driver: Arc<dyn Driver>) -> Result<()> {
        let mut all = self.drivers.write().unwrap_or_else(|p| p.into_inner());
        for d in all.iter() {
            if d.name() == driver.name() {
                return Err(Error::new(
                    Status::AlreadyExists,
                    format!("a driver named '{}' is registered already", driver.name()),
                ));
            }
            if let Some(s) = driver.schemes().iter().find(|s| d.schemes().contains(s)) {
                return Err(Error::new(
                    Status::AlreadyExists,
                    format!("URL scheme '{s}' is taken by the {} driver", d.name()),
                ));
            }
        }
        all.push(driver);
        Ok(())
    }

    /// The driver for a URL scheme (lower case).
    pub fn find(&self, scheme: &str) -> Result<Arc<dyn Driver>> {
        let all = self.drivers.read().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = all.iter().find(|d| d.schemes().contains(&scheme)) {
            return Ok(d.clone());
        }
        let schemes: Vec<&str> = all.iter().flat_map(|d| d.schemes().iter().copied()).collect();
        Err(Error::new(
            Status::NotFound,
            format!("no driver for URL scheme '{scheme}' (available: {})", schemes.join(", ")),
        ))
    }

    /// Whether a driver of that name or URL scheme is registered.
    pub fn available(&self, name: &str) -> bool {
        let all = self.drivers.read().unwrap_or_else(|p| p.into_inner());
        all.iter().any(|d| d.name() == name || d.schemes().contains(&name))
    }

    /// Every registered driver, in the order they registered.
    pub fn drivers(&self) -> Vec<Arc<dyn Driver>> {
        self.drivers.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether `scheme`'s driver names a file in its URLs (see
    /// `Driver::url_names_a_file`); false for a scheme no driver has.
    pub fn names_a_file(&self, scheme: &str) -> bool {
        self.find(scheme).is_ok_and(|d| d.url_names_a_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::driver::Connector;
    use crate::core::sql::Syntax;
    use crate::core::options::{OptSpec, Options};
    use crate::core::url::ConnUrl;

    struct Fake(&'static str, &'static [&'static str]);

    impl Driver for Fake {
        fn name(&self) -> &'static str {
            self.0
        }
        fn schemes(&self) -> &'static [&'static str] {
            self.1
        }
        fn syntax(&self) -> &'static Syntax {
            &Syntax::STANDARD
        }
        fn options(&self) -> &'static [OptSpec] {
            &[]
        }
        fn connector(&self, _: &ConnUrl, _: &Options) -> Result<Box<dyn Connector>> {
            Err(Error::not_implemented("fake"))
        }
    }

    #[test]
    fn schemes_and_names_are_taken_once() {
        let r = Registry::new();
        r.register(Arc::new(Fake("one", &["one", "uno"]))).unwrap();
        assert!(r.available("one") && r.available("uno") && !r.available("two"));
        let e = r.register(Arc::new(Fake("two", &["dos", "uno"]))).unwrap_err();
        assert_eq!(e.status, Status::AlreadyExists);
        assert!(e.message.contains("'uno'") && e.message.contains("one"), "{}", e.message);
        assert_eq!(r.register(Arc::new(Fake("one", &["x"]))).unwrap_err().status, Status::AlreadyExists);
        assert!(!r.available("dos"), "a refused driver adds nothing");
        assert_eq!(r.find("uno").unwrap().name(), "one");
        let e = r.find("dos").err().unwrap();
        assert_eq!(e.status, Status::NotFound);
        assert!(e.message.contains("available: one, uno"), "{}", e.message);
    }
}
