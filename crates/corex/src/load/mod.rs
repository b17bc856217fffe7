//! Loading: the plan executed against the kernel.

mod report;

pub use report::{ItemOutcome, LoadReport, Outcome};
