//! The macro behind every numeric kernel enum of this crate.

/// Defines a kernel enum as a newtype over its integer, so that a number a
/// newer kernel reports (one this table does not know) stays representable.
///
/// Each entry is `IDENT = value, "printed name", "C enumerator";`. The macro
/// gives the type its constants, `KNOWN` (every entry in table order),
/// `name()`, `from_name()`, `c_name()`, `Display` (the printed name, or the
/// `unknown` format for numbers the table lacks) and a `Debug` that shows the
/// constant's name.
macro_rules! kernel_enum {
    (
        $(#[$meta:meta])*
        pub struct $ty:ident($int:ty): $c_enum:literal, unknown $unknown:literal;
        $( $konst:ident = $value:literal, $text:literal, $c:literal; )*
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[repr(transparent)]
        pub struct $ty(pub $int);

        impl $ty {
            $(
                #[doc = concat!("`", $c, "` (", $value, "), printed `", $text, "`.")]
                pub const $konst: $ty = $ty($value);
            )*

            /// Every value this table knows, in the kernel's order.
            pub const KNOWN: &'static [$ty] = &[$($ty::$konst),*];

            #[doc = concat!("The C type these numbers come from: `", $c_enum, "`.")]
            pub const C_ENUM: &'static str = $c_enum;

            /// The name libbpf and bpftool print for this value, `None` for a
            /// number this table does not know (a kernel newer than it).
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }

            /// The C enumerator's name (`BPF_PROG_TYPE_KPROBE`), `None` for a
            /// number this table does not know.
            pub const fn c_name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($c),)*
                    _ => None,
                }
            }

            /// The value whose printed name is `name` (exact match).
            pub fn from_name(name: &str) -> Option<$ty> {
                match name {
                    $($text => Some($ty::$konst),)*
                    _ => None,
                }
            }

            /// Whether this table knows the number.
            pub const fn is_known(self) -> bool {
                self.name().is_some()
            }

            /// The kernel's number.
            pub const fn value(self) -> $int {
                self.0
            }

            /// The constant's name in this crate (`KPROBE`), for `Debug`.
            const fn konst_name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($konst)),)*
                    _ => None,
                }
            }
        }

        impl From<$int> for $ty {
            fn from(value: $int) -> $ty {
                $ty(value)
            }
        }

        impl From<$ty> for $int {
            fn from(value: $ty) -> $int {
                value.0
            }
        }

        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, $unknown, self.0),
                }
            }
        }

        impl core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.konst_name() {
                    Some(name) => write!(f, concat!(stringify!($ty), "::{}"), name),
                    None => write!(f, concat!(stringify!($ty), "({})"), self.0),
                }
            }
        }
    };
}

pub(crate) use kernel_enum;
