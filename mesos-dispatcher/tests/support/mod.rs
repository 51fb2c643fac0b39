//! Helpers shared by the integration tests of this crate.

pub(crate) mod golden;
