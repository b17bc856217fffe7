//! corex: eBPF CO-RE in pure Rust, the library a Rust program adds to its
//! Cargo.toml. It takes a BPF object from disk into the kernel in libbpf's
//! phases (open, configure, load, attach) and reads the events its programs
//! send. The pure work (parsing, CO-RE, the load plan) lives in
//! `corex-object` and `corex-btf`; every system call goes through `corex-sys`.

#![warn(missing_docs)]
