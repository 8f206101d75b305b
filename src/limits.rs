//! The input's fixed sizes, at the bottom of the house: the page, the worker, preprocessing and
//! the statistics all read them, and they import nothing.

/// Side of the square crop the networks see.
pub const CROP: usize = 224;
/// Largest image file accepted; the page refuses larger ones before reading them.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
