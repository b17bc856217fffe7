//! Shared by the fuzz targets and the corpus generator: the checks every input
//! goes through, and the seed BTF built with corex-btf's writer.

pub mod exercise;
pub mod seeds;
