//! `.kconfig` values: the kernel configuration text read line by line as
//! libbpf's `bpf_object__process_kconfig_line` does (`CONFIG_X=y|n|m`,
//! integers in C's bases, quoted strings), and the values written into the
//! `.kconfig` map for each extern's type.

use std::collections::HashMap;

use super::error::{ExternProblem, KconfigType, PlanError, Problem};
use crate::work::tick;

/// One `.kconfig` extern's slot in the `.kconfig` map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KconfigSlot {
    pub name: String,
    pub ty: KconfigType,
    pub signed: bool,
    /// Size in bytes.
    pub size: u32,
    /// Offset in the `.kconfig` map.
    pub offset: u32,
}

fn value_err(slot: &KconfigSlot, value: &str, implies: &'static str) -> PlanError {
    Problem::Extern {
        name: slot.name.clone(),
        why: ExternProblem::KconfigValue {
            value: value.to_owned(),
            extern_type: slot.ty,
            implies,
        },
    }
    .into()
}

fn store(data: &mut [u8], slot: &KconfigSlot, bytes: &[u8]) {
    let at = slot.offset as usize;
    if let Some(dst) = data.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

/// Writes `value` into `slot` as an integer (libbpf's `set_kcfg_value_num`),
/// in the object's byte order.
pub(crate) fn set_number(
    data: &mut [u8],
    slot: &KconfigSlot,
    value: u64,
    endian: corex_btf::Endian,
) -> Result<(), PlanError> {
    if !matches!(
        slot.ty,
        KconfigType::Int | KconfigType::Char | KconfigType::Bool
    ) {
        return Err(value_err(
            slot,
            &value.to_string(),
            "an integer, char or boolean",
        ));
    }
    if slot.ty == KconfigType::Bool && value > 1 {
        return Err(value_err(slot, &value.to_string(), "a non-boolean integer"));
    }
    let bits = slot.size.saturating_mul(8);
    let fits = match (bits >= 64, slot.signed) {
        (true, _) => true,
        (false, true) => value.wrapping_add(1 << (bits - 1)) < 1 << bits,
        (false, false) => value >> bits == 0,
    };
    if !fits {
        return Err(Problem::Extern {
            name: slot.name.clone(),
            why: ExternProblem::KconfigRange {
                value,
                size: slot.size,
            },
        }
        .into());
    }
    let bytes = match endian {
        corex_btf::Endian::Little => value.to_le_bytes(),
        corex_btf::Endian::Big => value.to_be_bytes(),
    };
    let n = slot.size as usize;
    match endian {
        corex_btf::Endian::Little => store(data, slot, &bytes[..n]),
        corex_btf::Endian::Big => store(data, slot, &bytes[8 - n..]),
    }
    Ok(())
}

/// `y`, `n` or `m` (libbpf's `set_kcfg_value_tri`).
fn set_tristate(
    data: &mut [u8],
    slot: &KconfigSlot,
    value: &str,
    letter: u8,
    endian: corex_btf::Endian,
) -> Result<(), PlanError> {
    match slot.ty {
        KconfigType::Bool if letter == b'm' => Err(value_err(slot, value, "a tristate or char")),
        KconfigType::Bool => {
            store(data, slot, &[u8::from(letter == b'y')]);
            Ok(())
        }
        KconfigType::Tristate => {
            let tri: u32 = match letter {
                b'y' => 1,
                b'm' => 2,
                _ => 0,
            };
            let bytes = match endian {
                corex_btf::Endian::Little => tri.to_le_bytes(),
                corex_btf::Endian::Big => tri.to_be_bytes(),
            };
            store(data, slot, &bytes);
            Ok(())
        }
        KconfigType::Char => {
            store(data, slot, &[letter]);
            Ok(())
        }
        KconfigType::Int | KconfigType::CharArray => {
            Err(value_err(slot, value, "a bool, tristate or char"))
        }
    }
}

/// A quoted string (libbpf's `set_kcfg_value_str`): truncated to the array
/// with its NUL, as libbpf does (it warns).
fn set_string(data: &mut [u8], slot: &KconfigSlot, value: &str) -> Result<(), PlanError> {
    if slot.ty != KconfigType::CharArray {
        return Err(value_err(slot, value, "a char array"));
    }
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(|| value_err(slot, value, "a string missing its closing quote"))?;
    let keep = inner.len().min(slot.size.saturating_sub(1) as usize);
    let mut bytes = inner.as_bytes()[..keep].to_vec();
    bytes.push(0);
    store(data, slot, &bytes);
    Ok(())
}

/// C's `strtoull(value, &end, 0)` with the whole text consumed: decimal,
/// `0x` hexadecimal or `0` octal; a leading `-` negates modulo 2^64.
fn parse_c_u64(text: &str) -> Option<u64> {
    let t = text.trim_start();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// The first of `slots` with each name.
pub(crate) fn slot_index(slots: &[KconfigSlot]) -> HashMap<&str, usize> {
    let mut index = HashMap::with_capacity(slots.len());
    for (i, s) in slots.iter().enumerate() {
        tick(1);
        index.entry(s.name.as_str()).or_insert(i);
    }
    index
}

/// Applies the kernel configuration `text` to the unset slots (`set[i]`
/// tells whether slot `i` already has a value). Lines not starting with
/// `CONFIG_` are skipped; names no extern asks for are skipped after their
/// form is checked, as libbpf does.
pub(crate) fn apply_kconfig(
    text: &str,
    slots: &[KconfigSlot],
    set: &mut [bool],
    data: &mut [u8],
    endian: corex_btf::Endian,
) -> Result<(), PlanError> {
    let by_name = slot_index(slots);
    for (index, line) in text.lines().enumerate() {
        tick(1);
        if !line.starts_with("CONFIG_") {
            continue;
        }
        let bad = |why: &'static str| -> PlanError {
            Problem::KconfigLine {
                line: index + 1,
                text: line.to_owned(),
                why,
            }
            .into()
        };
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| bad("no '=' separator"))?;
        if value.is_empty() {
            return Err(bad("no value after '='"));
        }
        let Some(&i) = by_name.get(name) else {
            continue;
        };
        if set[i] {
            continue;
        }
        let slot = &slots[i];
        match value.as_bytes()[0] {
            l @ (b'y' | b'n' | b'm') => set_tristate(data, slot, value, l, endian)?,
            b'"' => set_string(data, slot, value)?,
            _ => {
                let num = parse_c_u64(value).ok_or_else(|| -> PlanError {
                    Problem::Extern {
                        name: slot.name.clone(),
                        why: ExternProblem::KconfigInteger {
                            value: value.to_owned(),
                        },
                    }
                    .into()
                })?;
                if !matches!(slot.ty, KconfigType::Int | KconfigType::Char) {
                    return Err(value_err(slot, value, "an integer"));
                }
                set_number(data, slot, num, endian)?;
            }
        }
        set[i] = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use corex_btf::Endian;

    fn slot(name: &str, ty: KconfigType, size: u32, offset: u32, signed: bool) -> KconfigSlot {
        KconfigSlot {
            name: name.into(),
            ty,
            signed,
            size,
            offset,
        }
    }

    fn run(text: &str, slots: &[KconfigSlot]) -> Result<(Vec<u8>, Vec<bool>), String> {
        let mut data = vec![0xaa; 32];
        let mut set = vec![false; slots.len()];
        apply_kconfig(text, slots, &mut set, &mut data, Endian::Little)
            .map_err(|e| e.to_string())?;
        Ok((data, set))
    }

    #[test]
    fn every_value_form() {
        let slots = [
            slot("CONFIG_BOOL", KconfigType::Bool, 1, 0, false),
            slot("CONFIG_TRI", KconfigType::Tristate, 4, 4, false),
            slot("CONFIG_CHAR", KconfigType::Char, 1, 1, false),
            slot("CONFIG_HEX", KconfigType::Int, 4, 8, false),
            slot("CONFIG_NEG", KconfigType::Int, 2, 12, true),
            slot("CONFIG_STR", KconfigType::CharArray, 6, 16, false),
            slot("CONFIG_UNSET", KconfigType::Int, 8, 24, false),
        ];
        let text = "# comment\nCONFIG_BOOL=y\nCONFIG_TRI=m\nCONFIG_CHAR=n\n\
                    CONFIG_HEX=0x1f\nCONFIG_NEG=-2\nCONFIG_STR=\"abcdefgh\"\n\
                    # CONFIG_UNSET is not set\nCONFIG_OTHER=whatever\nCONFIG_BOOL=n\n";
        let (data, set) = run(text, &slots).unwrap();
        assert_eq!(data[0], 1);
        assert_eq!(&data[4..8], &[2, 0, 0, 0]);
        assert_eq!(data[1], b'n');
        assert_eq!(&data[8..12], &[0x1f, 0, 0, 0]);
        assert_eq!(&data[12..14], &[0xfe, 0xff]);
        assert_eq!(&data[16..22], b"abcde\0");
        assert_eq!(set, [true, true, true, true, true, true, false]);
        assert_eq!(parse_c_u64("0755"), Some(0o755));
        assert_eq!(parse_c_u64("0"), Some(0));
        assert_eq!(parse_c_u64("12a"), None);
    }

    #[test]
    fn libbpf_errors() {
        let b = [slot("CONFIG_B", KconfigType::Bool, 1, 0, false)];
        assert_eq!(
            run("CONFIG_B=m\n", &b).unwrap_err(),
            "extern 'CONFIG_B': the kernel config sets it to 'm', which implies a tristate or char, but it is declared as bool"
        );
        assert_eq!(
            run("CONFIG_B=2\n", &b).unwrap_err(),
            "extern 'CONFIG_B': the kernel config sets it to '2', which implies an integer, but it is declared as bool"
        );
        assert_eq!(
            run("CONFIG_X\n", &b).unwrap_err(),
            "kernel config line 1 'CONFIG_X': no '=' separator"
        );
        assert_eq!(
            run("CONFIG_X=\n", &b).unwrap_err(),
            "kernel config line 1 'CONFIG_X=': no value after '='"
        );
        let i = [slot("CONFIG_I", KconfigType::Int, 1, 0, false)];
        assert_eq!(
            run("CONFIG_I=256\n", &i).unwrap_err(),
            "extern 'CONFIG_I': the kernel config value 256 does not fit in 1 bytes"
        );
        assert_eq!(
            run("CONFIG_I=0x\n", &i).unwrap_err(),
            "extern 'CONFIG_I': the kernel config value '0x' is not a valid integer"
        );
        assert_eq!(
            run("CONFIG_I=\"s\"\n", &i).unwrap_err(),
            "extern 'CONFIG_I': the kernel config sets it to '\"s\"', which implies a char array, but it is declared as integer"
        );
        let s = [slot("CONFIG_S", KconfigType::CharArray, 4, 0, false)];
        assert_eq!(
            run("CONFIG_S=\"\n", &s).unwrap_err(),
            "extern 'CONFIG_S': the kernel config sets it to '\"', which implies a string missing its closing quote, but it is declared as char array"
        );
        let signed = [slot("CONFIG_N", KconfigType::Int, 1, 0, true)];
        assert!(run("CONFIG_N=-128\n", &signed).is_ok());
        assert!(run("CONFIG_N=-129\n", &signed).is_err());
        assert!(run("CONFIG_N=127\n", &signed).is_ok());
        assert!(run("CONFIG_N=128\n", &signed).is_err());
    }
}
