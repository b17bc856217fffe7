//! Local and target BTF for the CO-RE engine: the hostile families that
//! make plain recursive matching exponential (anonymous members nested in
//! anonymous members, function prototypes whose parameters are the previous
//! prototype, structs whose members repeat the previous struct), and random
//! type graphs from `arbitrary` with relocations on them.
//!
//! Shared by `#[path]` with corex-object's and corex-cli's tests, and by
//! the fuzz targets through `corex_fuzz`; depends on `corex_btf` and
//! `arbitrary` only.

use arbitrary::{Result, Unstructured};
use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{CoreRelo, Endian, IntInfo, Kind, Linkage, TypeId};

/// The ELF section a [`CoreCase`]'s records belong to, when it is made
/// into an object.
pub const SECTION: &str = "xdp";

/// A local BTF, a target BTF and relocations whose types and access
/// strings are in the local BTF (`insn_off` is the record's position × 8).
#[derive(Clone, Debug)]
pub struct CoreCase {
    /// Raw local BTF.
    pub local: Vec<u8>,
    /// Raw target BTF.
    pub target: Vec<u8>,
    /// The relocations.
    pub relos: Vec<CoreRelo>,
    /// String offset of [`SECTION`] in the local BTF.
    pub section_name_off: u32,
}

impl CoreCase {
    /// A case from its builders: the local one gets [`SECTION`].
    fn new(mut local: BtfBuilder, target: BtfBuilder, relos: Vec<CoreRelo>) -> CoreCase {
        let section_name_off = local
            .add_string(SECTION)
            .expect("generated strings hold no NUL");
        CoreCase {
            local: local
                .to_bytes(Endian::Little)
                .expect("generated BTF is writable"),
            target: target
                .to_bytes(Endian::Little)
                .expect("generated BTF is writable"),
            relos,
            section_name_off,
        }
    }
}

fn def(name: &str, body: Body) -> TypeDef {
    TypeDef {
        name: name.into(),
        kflag: false,
        body,
    }
}

fn int_body(size: u32, signed: bool) -> Body {
    Body::Int {
        size,
        info: IntInfo {
            encoding: if signed { corex_btf::INT_SIGNED } else { 0 },
            offset: 0,
            bits: (size * 8) as u8,
        },
    }
}

fn member(name: &str, ty: TypeId, bit_offset: u32) -> MemberDef {
    MemberDef {
        name: name.into(),
        ty,
        bit_offset,
        bitfield_size: 0,
    }
}

fn composite(name: &str, is_union: bool, size: u32, members: Vec<MemberDef>) -> TypeDef {
    def(
        name,
        Body::Composite {
            is_union,
            size,
            members,
        },
    )
}

/// Relocations on `root` with `access`, one of each kind in `kinds`.
fn relos(b: &mut BtfBuilder, root: TypeId, access: &str, kinds: &[u32]) -> Vec<CoreRelo> {
    let access_str_off = b.add_string(access).expect("generated strings hold no NUL");
    kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| CoreRelo {
            insn_off: 8 * i as u32,
            type_id: root,
            access_str_off,
            kind,
        })
        .collect()
}

/// What the target's innermost struct holds under the field's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// An `int`: the local field (an `int`) is found, at the first path.
    Int,
    /// A pointer: same name, incompatible type; libbpf keeps searching and
    /// leaves a raw spec entry behind at each one.
    Pointer,
    /// Nothing of that name: every path is searched in vain.
    Absent,
}

/// Target `struct s { union a_D; }` where `a_K = union { a_(K-1); a_(K-1); }`
/// (anonymous members) and `a_0 = struct { <leaf> x; }`: 2^depth paths to
/// the leaf. Local `struct s { int x; }`; relocations `byte_off`,
/// `field_exists` and `byte_sz` of `s.x`.
pub fn anonymous_nest(depth: usize, leaf: Leaf) -> CoreCase {
    let mut t = BtfBuilder::new();
    let int = t.add(&def("int", int_body(4, true)));
    let leaf_member = match leaf {
        Leaf::Int => member("x", int, 0),
        Leaf::Pointer => {
            let ptr = t.add(&def(
                "",
                Body::Ref {
                    kind: Kind::Ptr,
                    target: int,
                },
            ));
            member("x", ptr, 0)
        }
        Leaf::Absent => member("other", int, 0),
    };
    let mut inner = t.add(&composite("", false, 8, vec![leaf_member]));
    for _ in 0..depth {
        let members = vec![member("", inner, 0), member("", inner, 0)];
        inner = t.add(&composite("", true, 8, members));
    }
    t.add(&composite("s", false, 8, vec![member("", inner, 0)]));

    let mut l = BtfBuilder::new();
    let int = l.add(&def("int", int_body(4, true)));
    let s = l.add(&composite("s", false, 4, vec![member("x", int, 0)]));
    let relos = relos(&mut l, s, "0:0", &[0, 2, 1]);
    CoreCase::new(l, t, relos)
}

/// Writes `typedef fn_t` to `p_D` where `p_K = int (*)(p_(K-1) *, p_(K-1) *)`
/// and `p_0 = int (void)`, into `b`; returns `fn_t`.
fn proto_chain_into(b: &mut BtfBuilder, depth: usize) -> TypeId {
    let int = b.add(&def("int", int_body(4, true)));
    let mut proto = b.add(&def(
        "",
        Body::FuncProto {
            ret: int,
            params: Vec::new(),
        },
    ));
    for _ in 0..depth {
        let ptr = b.add(&def(
            "",
            Body::Ref {
                kind: Kind::Ptr,
                target: proto,
            },
        ));
        proto = b.add(&def(
            "",
            Body::FuncProto {
                ret: int,
                params: vec![("a".into(), ptr), ("b".into(), ptr)],
            },
        ));
    }
    b.add(&def(
        "fn_t",
        Body::Ref {
            kind: Kind::Typedef,
            target: proto,
        },
    ))
}

/// The same types on both sides, written by `write` (which returns the
/// root), with relocations of `kinds` on the root (access string `0`).
fn same_on_both_sides(
    write: fn(&mut BtfBuilder, usize) -> TypeId,
    depth: usize,
    kinds: &[u32],
) -> CoreCase {
    let mut t = BtfBuilder::new();
    write(&mut t, depth);
    let mut l = BtfBuilder::new();
    let root = write(&mut l, depth);
    let relos = relos(&mut l, root, "0", kinds);
    CoreCase::new(l, t, relos)
}

/// The same chain of function prototypes on both sides (see
/// `proto_chain_into`): 2^depth parameter comparisons for libbpf.
/// Relocations `type_exists` and `type_matches` of `fn_t`.
pub fn proto_chain(depth: usize) -> CoreCase {
    same_on_both_sides(proto_chain_into, depth, &[8, 12])
}

/// Writes `struct s_D` where `s_K = struct { s_(K-1) a; s_(K-1) b; }` and
/// `s_0 = struct { int v; }` into `b`; returns `s_D`.
fn member_chain_into(b: &mut BtfBuilder, depth: usize) -> TypeId {
    let int = b.add(&def("int", int_body(4, true)));
    let mut inner = b.add(&composite("s_0", false, 4, vec![member("v", int, 0)]));
    for k in 1..=depth {
        let members = vec![member("a", inner, 0), member("b", inner, 0)];
        inner = b.add(&composite(&format!("s_{k}"), false, 4, members));
    }
    inner
}

/// The same chain of structs on both sides (see `member_chain_into`):
/// 2^depth member comparisons for libbpf's `type_matches`. Relocations
/// `type_matches` and `type_exists` of the outermost struct.
pub fn member_chain(depth: usize) -> CoreCase {
    same_on_both_sides(member_chain_into, depth, &[12, 8])
}

/// The most steps one relocation of a family at `depth` may take when
/// comparisons are remembered: a few per level (each level is a few types,
/// each compared a few times), plus, for same-named incompatible fields,
/// a search per raw spec entry they leave behind (at most 64, libbpf's
/// spec length). Without remembering, the families take 2^depth.
pub fn family_step_bound(depth: usize) -> u64 {
    40 * (depth as u64 + 2) + 8 * 64
}

/// The hostile family `which` (mod 5) at `depth`.
pub fn family(which: u8, depth: usize) -> CoreCase {
    match which % 5 {
        0 => anonymous_nest(depth, Leaf::Int),
        1 => anonymous_nest(depth, Leaf::Pointer),
        2 => anonymous_nest(depth, Leaf::Absent),
        3 => proto_chain(depth),
        _ => member_chain(depth),
    }
}

/// Names both sides draw from, flavors included, so that candidates exist.
const NAMES: &[&str] = &["", "", "s", "s___v2", "t", "x", "y", "fn_t", "e", "A"];

/// A random type graph of up to 48 types: ids may point forward (cycles)
/// and at void; members and parameters at random offsets; names from
/// [`NAMES`]. Returns the builder and the number of types.
fn random_graph(u: &mut Unstructured<'_>) -> Result<(BtfBuilder, u32)> {
    let count = u.int_in_range(1..=48u32)?;
    let mut b = BtfBuilder::new();
    let id =
        |u: &mut Unstructured<'_>| -> Result<TypeId> { Ok(TypeId(u.int_in_range(0..=count)?)) };
    for _ in 0..count {
        let name = *u.choose(NAMES)?;
        let body = match u.int_in_range(0..=9u8)? {
            0 => int_body(*u.choose(&[1, 2, 4, 8])?, u.arbitrary()?),
            1 => Body::Ref {
                kind: *u.choose(&[Kind::Ptr, Kind::Typedef, Kind::Const, Kind::Volatile])?,
                target: id(u)?,
            },
            2 => Body::Array {
                elem: id(u)?,
                index: TypeId(1),
                nelems: u.int_in_range(0..=4)?,
            },
            3 | 4 => {
                let n = u.int_in_range(0..=4usize)?;
                let mut members = Vec::with_capacity(n);
                for _ in 0..n {
                    members.push(member(
                        u.choose(NAMES)?,
                        id(u)?,
                        8 * u.int_in_range(0..=8u32)?,
                    ));
                }
                Body::Composite {
                    is_union: u.arbitrary()?,
                    size: u.int_in_range(0..=64)?,
                    members,
                }
            }
            5 => {
                let n = u.int_in_range(0..=3usize)?;
                let mut params = Vec::with_capacity(n);
                for _ in 0..n {
                    params.push((String::new(), id(u)?));
                }
                Body::FuncProto {
                    ret: id(u)?,
                    params,
                }
            }
            6 => Body::Enum {
                is64: u.arbitrary()?,
                size: 4,
                values: vec![("A".into(), 0), ((*u.choose(NAMES)?).into(), 1)],
            },
            7 => Body::Fwd,
            8 => Body::Var {
                ty: id(u)?,
                linkage: Linkage::Global,
            },
            _ => Body::Float { size: 8 },
        };
        b.add(&def(name, body));
    }
    Ok((b, count))
}

/// A random access string: mostly `0` followed by small indices.
fn random_access(u: &mut Unstructured<'_>) -> Result<String> {
    let n = u.int_in_range(0..=4usize)?;
    let mut parts = vec!["0".to_owned()];
    for _ in 0..n {
        parts.push(u.int_in_range(0..=4u32)?.to_string());
    }
    Ok(parts.join(":"))
}

/// A case from fuzzer input: a hostile family at a random depth, or two
/// random type graphs, with up to 8 relocations of any kind (0 to 13, the
/// last unknown) on random local types with random access strings.
pub fn arbitrary_case(u: &mut Unstructured<'_>) -> Result<CoreCase> {
    if u.ratio(1u8, 4u8)? {
        let which = u.arbitrary()?;
        let depth = u.int_in_range(0..=31usize)?;
        return Ok(family(which, depth));
    }
    let (mut local, local_count) = random_graph(u)?;
    let (target, _) = random_graph(u)?;
    let n = u.int_in_range(1..=8usize)?;
    let mut relos = Vec::with_capacity(n);
    for i in 0..n {
        let access = random_access(u)?;
        relos.push(CoreRelo {
            insn_off: 8 * i as u32,
            type_id: TypeId(u.int_in_range(0..=local_count)?),
            access_str_off: local
                .add_string(&access)
                .expect("generated strings hold no NUL"),
            kind: u.int_in_range(0..=13)?,
        });
    }
    Ok(CoreCase::new(local, target, relos))
}
