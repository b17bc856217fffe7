//! The kernel's symbol table (`/proc/kallsyms`): which functions exist, read
//! once per process and kept as a set of names. Used to tell what the kernel
//! was built with (`register_kprobe` exists only with CONFIG_KPROBES) and to
//! find syscall entry functions.

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

/// The names in a kallsyms table (text and data symbols, vmlinux and
/// modules).
#[derive(Debug, Default)]
pub struct Kallsyms {
    names: HashSet<String>,
}

/// Where the running kernel's table is.
pub const KALLSYMS: &str = "/proc/kallsyms";

impl Kallsyms {
    /// Parses the text of a kallsyms file: `ADDRESS TYPE NAME [MODULE]` a
    /// line. Lines that do not have that shape are skipped.
    pub fn parse(text: &str) -> Kallsyms {
        let names = text
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let _address = fields.next()?;
                let _kind = fields.next()?;
                fields.next().map(str::to_owned)
            })
            .collect();
        Kallsyms { names }
    }

    /// The running kernel's table, read once; `None` if it cannot be read.
    pub fn running() -> Option<&'static Kallsyms> {
        static TABLE: OnceLock<Option<Kallsyms>> = OnceLock::new();
        TABLE
            .get_or_init(|| {
                std::fs::read_to_string(Path::new(KALLSYMS))
                    .ok()
                    .map(|t| Kallsyms::parse(&t))
            })
            .as_ref()
    }

    /// Whether a symbol of this name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// All names, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.names.iter().map(String::as_str)
    }

    /// Whether the table is empty (kallsyms unreadable or a kernel built
    /// without CONFIG_KALLSYMS).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_from_each_line() {
        let table = Kallsyms::parse(
            "ffffffff81000000 T _stext\n\
             ffffffff816c5eb0 T __x64_sys_execve\n\
             ffffffffc0000000 t nf_hook [nf_tables]\n\
             garbage\n",
        );
        assert!(table.contains("__x64_sys_execve"));
        assert!(table.contains("nf_hook"));
        assert!(!table.contains("garbage"));
        assert_eq!(table.names().count(), 3);
    }
}
