//! The macro that defines attribute layouts: a `#[repr(C)]` struct whose
//! every field names its C counterpart, checked against the C headers by
//! the layout test.

/// A field of a layout, for the layout test.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The Rust field.
    pub rust: &'static str,
    /// The C member path within the C type (`link_create.perf_event.bpf_cookie`);
    /// empty for padding and for bit-field words C cannot take the offset of.
    pub c: &'static str,
    /// Byte offset in the Rust struct.
    pub offset: usize,
    /// Byte size in the Rust struct.
    pub size: usize,
}

/// A struct's layout, for the layout test.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// The Rust type.
    pub rust_type: &'static str,
    /// The C type it mirrors (`union bpf_attr`, `struct bpf_prog_info`).
    pub c_type: &'static str,
    /// `size_of` the Rust type.
    pub size: usize,
    /// Its fields, in order.
    pub fields: &'static [Field],
}

/// Defines a plain attribute struct: `#[repr(C)]`, integer fields only, no
/// implicit padding (asserted at compile time, so every byte is initialized
/// and the struct can be viewed as bytes), `Default` all zero, and a
/// `LAYOUT` for the layout test.
macro_rules! attr_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $c_type:literal {
            $( $field:ident: $ty:ty = $c:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $(
                #[doc = concat!("C: `", $c, "` (empty: padding or a bit-field word).")]
                pub $field: $ty,
            )*
        }

        impl $name {
            /// This struct's layout, checked against the C header by the tests.
            pub const LAYOUT: $crate::attr_macro::Layout = $crate::attr_macro::Layout {
                rust_type: stringify!($name),
                c_type: $c_type,
                size: core::mem::size_of::<$name>(),
                fields: &[$(
                    $crate::attr_macro::Field {
                        rust: stringify!($field),
                        c: $c,
                        offset: core::mem::offset_of!($name, $field),
                        size: core::mem::size_of::<$ty>(),
                    },
                )*],
            };
        }

        const _: () = assert!(
            core::mem::size_of::<$name>() == 0 $(+ core::mem::size_of::<$ty>())*,
            concat!(stringify!($name), " has implicit padding: add explicit padding fields")
        );

        impl $crate::attr::sealed::Sealed for $name {}
        impl $crate::attr::Attr for $name {}
    };
}

pub(crate) use attr_struct;
