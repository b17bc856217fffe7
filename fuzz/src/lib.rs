//! Shared by the fuzz targets and the corpus generator: the checks every input
//! goes through, the seed BTF built with corex-btf's writer, and the
//! generators of BPF objects and CO-RE cases.

pub mod checks;
pub mod coregen;
pub mod exercise;
pub mod hostile;
pub mod objarb;
pub mod objgen;
pub mod seeds;
