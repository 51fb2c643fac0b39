//! Test support shared by the end-to-end and interop tests.
