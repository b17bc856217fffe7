//! BPF ELF objects and the CO-RE relocation engine. Pure: no syscalls, no kernel.
