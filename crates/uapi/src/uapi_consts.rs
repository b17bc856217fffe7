//! The macro behind the modules of plain constants (flags, pseudo registers,
//! perf numbers).

/// Defines `pub const NAME: TYPE = VALUE;` for each entry, each documented
/// with the C expression it equals, and `C_CONSTANTS`, the table of
/// `(C expression, value)` pairs a test evaluates with the C headers.
macro_rules! uapi_consts {
    ( $( $(#[$meta:meta])* $name:ident: $ty:ty = $value:expr, $c:literal; )* ) => {
        $(
            $(#[$meta])*
            #[doc = concat!("\n\nC: `", $c, "`.")]
            pub const $name: $ty = $value;
        )*

        /// Every constant of this module as `(C expression, value)`: what the
        /// header test compiles and compares.
        pub const C_CONSTANTS: &[(&str, u64)] = &[$(($c, $name as u64)),*];
    };
}

pub(crate) use uapi_consts;
