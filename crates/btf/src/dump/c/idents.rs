//! The names a C header holds come from the BTF, which anyone can write: a
//! name such as `x; } evil(); struct {` would put code into the header.
//! Every name the dumper may write is checked before anything is written.

use crate::btf::Btf;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::printable::printable;
use crate::types::Type;

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_identifier(name: &[u8]) -> bool {
    name.first()
        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// An integer or floating-point type's name: identifiers separated by one
/// space (`long unsigned int`, `_Bool`, `long double`).
fn is_base_type_name(name: &[u8]) -> bool {
    name.split(|&b| b == b' ').all(is_identifier)
}

/// A type tag's value, written inside a C string literal: printable ASCII
/// without quotes or backslashes.
fn is_tag_value(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
}

/// Checks every name of every type that the C dump writes. Names are read
/// as bytes (parsing checked they are UTF-8; a name that is not ASCII is
/// not C anyway).
pub(super) fn check(btf: &Btf) -> Result<()> {
    for t in btf.types() {
        let kind = t.kind();
        let name = btf.name_bytes(t.name_off());
        let bad_name = |rule: &str| bad(&t, format!("its name '{}' {rule}", printable(name)));
        match kind {
            Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64
                if !name.is_empty() && !is_identifier(name) =>
            {
                return Err(bad_name("is not a C identifier"));
            }
            Kind::Fwd | Kind::Typedef if !is_identifier(name) => {
                return Err(bad_name("is not a C identifier"));
            }
            Kind::Int | Kind::Float if !is_base_type_name(name) => {
                return Err(bad_name(
                    "is not a C type name (identifiers separated by single spaces)",
                ));
            }
            Kind::TypeTag if !is_tag_value(name) => {
                return Err(bad_name(
                    "cannot be written in a C string literal (printable ASCII without \" or \\)",
                ));
            }
            _ => {}
        }
        let what = match kind {
            Kind::Struct | Kind::Union => "member",
            Kind::FuncProto => "parameter",
            Kind::Enum | Kind::Enum64 => "enumerator",
            _ => continue,
        };
        // Members and parameters may be anonymous; enumerators may not.
        let anonymous_ok = what != "enumerator";
        for (i, name_off) in t.entry_words(0).enumerate() {
            let name = btf.name_bytes(name_off);
            if !(is_identifier(name) || (anonymous_ok && name.is_empty())) {
                return Err(bad(
                    &t,
                    format!(
                        "its {what} #{i} is named '{}', which is not a C identifier",
                        printable(name)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn bad(t: &Type<'_>, why: String) -> Error {
    Error::Unrepresentable {
        id: t.id(),
        why: format!("{} cannot be written as C: {why}", t.kind()),
    }
}
