//! Hostile local and target BTF (`fuzz/src/coregen.rs`): nested anonymous
//! members, chains of function prototypes and of structs, each doubling the
//! paths libbpf explores per level. corex remembers the pairs it compared,
//! so its steps grow linearly with the depth, and the decisions are those
//! the plain search gives (checked against libbpf in
//! `crates/cli/tests/reloc_libbpf.rs`). Past the step budget a relocation
//! fails with `Error::WorkLimit`; real objects stay far below it.

#[allow(dead_code)] // shared with the fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/coregen.rs"]
mod coregen;

use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Btf, CoreRelo, Endian, IntInfo};
use corex_object::core::{Relocator, Resolution, Target, MAX_RELO_STEPS, MAX_TOTAL_STEPS};
use corex_object::{Error, Object};

use coregen::{CoreCase, Leaf};

/// Resolves every relocation of `case` with one relocator.
fn resolve(case: &CoreCase) -> Vec<Resolution> {
    let local = Btf::parse(&case.local).unwrap();
    let target_btf = Btf::parse(&case.target).unwrap();
    let target = Target::new(&target_btf);
    let mut relocator = Relocator::new(&target);
    case.relos
        .iter()
        .map(|r| relocator.resolve(&local, r))
        .collect()
}

fn assert_linear(what: &str, depth: usize, res: &Resolution) {
    let bound = coregen::family_step_bound(depth);
    assert!(
        res.work <= bound,
        "{what} at depth {depth}: {} steps, more than {bound}",
        res.work
    );
}

#[test]
fn anonymous_members_are_searched_once_per_type_and_depth() {
    for depth in [0, 1, 5, 12, 20, 31] {
        let found = resolve(&coregen::anonymous_nest(depth, Leaf::Int));
        for r in &found {
            assert_linear("found field", depth, r);
            let fx = r.result.as_ref().unwrap();
            assert!(!fx.poison, "{:?}", r.target);
        }
        let zeros = vec!["0"; depth + 3].join(":");
        assert!(
            found[0]
                .target
                .as_deref()
                .unwrap()
                .ends_with(&format!(".x ({zeros} @ offset 0)")),
            "{:?}",
            found[0].target
        );
        assert_eq!(found[1].result.as_ref().unwrap().new, 1);

        let absent = resolve(&coregen::anonymous_nest(depth, Leaf::Absent));
        for r in &absent {
            assert_linear("absent field", depth, r);
        }
        let fx = absent[0].result.as_ref().unwrap();
        assert!(fx.poison);
        assert_eq!(
            fx.reason.as_deref(),
            Some("field 'x' does not exist in struct s on this kernel")
        );
        assert_eq!(absent[1].result.as_ref().unwrap().new, 0);

        // Same-named incompatible fields leave raw spec entries behind (as
        // libbpf does) until the 64-entry limit: a poison or that error,
        // in linear steps either way.
        for r in resolve(&coregen::anonymous_nest(depth, Leaf::Pointer)) {
            assert_linear("incompatible field", depth, &r);
            match &r.result {
                Ok(fx) => assert!(fx.poison || fx.kind.name() == "field_exists"),
                Err(e) => assert!(
                    e.to_string().contains("nesting deeper than 64 levels"),
                    "{e}"
                ),
            }
        }
    }
}

#[test]
fn prototype_and_struct_chains_are_compared_once_per_pair() {
    for depth in [0, 1, 8, 16, 24, 30] {
        for case in [coregen::proto_chain(depth), coregen::member_chain(depth)] {
            for r in resolve(&case) {
                assert_linear(r.kind, depth, &r);
                let fx = r.result.as_ref().unwrap_or_else(|e| panic!("{e}"));
                assert_eq!((fx.new, fx.poison), (1, false), "{} at {depth}", r.kind);
            }
        }
    }
}

/// `struct w` with `n` members `m`: locally all `int`, in the target all
/// `long` but the last. `type_matches` then compares n² member pairs (each
/// pair's verdict is remembered, but every pair is looked at).
fn wide_struct_case(n: usize, relocations: usize) -> CoreCase {
    let side = |last_int: bool| {
        let mut b = BtfBuilder::new();
        let int = |size| Body::Int {
            size,
            info: IntInfo {
                encoding: corex_btf::INT_SIGNED,
                offset: 0,
                bits: (8 * size) as u8,
            },
        };
        let i32_ty = b.add(&TypeDef {
            name: "int".into(),
            kflag: false,
            body: int(4),
        });
        let i64_ty = b.add(&TypeDef {
            name: "long".into(),
            kflag: false,
            body: int(8),
        });
        let members = (0..n)
            .map(|i| MemberDef {
                name: "m".into(),
                ty: if !last_int || i + 1 == n {
                    i32_ty
                } else {
                    i64_ty
                },
                bit_offset: 0,
                bitfield_size: 0,
            })
            .collect();
        let w = b.add(&TypeDef {
            name: "w".into(),
            kflag: false,
            body: Body::Composite {
                is_union: false,
                size: 8,
                members,
            },
        });
        (b, w)
    };
    let (mut local, w) = side(false);
    let (target, _) = side(true);
    let access = local.add_string("0").unwrap();
    let relos = (0..relocations)
        .map(|i| CoreRelo {
            insn_off: 8 * i as u32,
            type_id: w,
            access_str_off: access,
            kind: 12,
        })
        .collect();
    CoreCase {
        section_name_off: local.add_string(coregen::SECTION).unwrap(),
        local: local.to_bytes(Endian::Little).unwrap(),
        target: target.to_bytes(Endian::Little).unwrap(),
        relos,
    }
}

#[test]
fn past_the_budget_a_relocation_fails_in_words() {
    let res = resolve(&wide_struct_case(3000, 1));
    assert_eq!(res[0].work, MAX_RELO_STEPS);
    let e = res[0].result.as_ref().unwrap_err();
    assert!(
        matches!(e, Error::WorkLimit { steps, object: false } if *steps == MAX_RELO_STEPS),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!("gave up after {MAX_RELO_STEPS} matching steps, the most one relocation may take: the local or target types nest too deeply or too widely to compare")
    );
    // Small enough, the same shape matches.
    let res = resolve(&wide_struct_case(100, 1));
    assert_eq!(res[0].result.as_ref().map(|f| f.new).ok(), Some(1));
}

#[test]
fn the_budget_of_a_whole_object_bounds_its_relocations_together() {
    let per_object = (MAX_TOTAL_STEPS / MAX_RELO_STEPS) as usize;
    let res = resolve(&wide_struct_case(3000, per_object + 3));
    let total: u64 = res.iter().map(|r| r.work).sum();
    assert!(total <= MAX_TOTAL_STEPS, "{total} steps in all");
    for (i, r) in res.iter().enumerate() {
        let e = r.result.as_ref().unwrap_err();
        let object = i >= per_object;
        assert!(
            matches!(e, Error::WorkLimit { object: o, .. } if *o == object),
            "relocation {i}: {e:?}"
        );
    }
    assert!(res[per_object]
        .result
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("the most the relocations of one object against one target may take"));
}

/// The objects of `bpf/core-tests` against the kernels: no relocation
/// comes near the budget (the most any takes is printed).
#[test]
fn real_objects_stay_far_below_the_budget() {
    let root = corex_testkit::repo_root().join("bpf/core-tests");
    let mut objects: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "o"))
        .collect();
    objects.push(root.join("bench/reloc_bench.bpf.o"));
    objects.sort();
    let kernels = [
        std::path::PathBuf::from("/sys/kernel/btf/vmlinux"),
        corex_testkit::kernel_file("debian-6.1", "vmlinux.btf"),
        corex_testkit::kernel_file("debian-6.12", "vmlinux.btf"),
    ];
    let mut most = (0, String::new());
    for kernel in &kernels {
        let btf = corex_btf::load(&std::fs::read(kernel).unwrap(), None)
            .unwrap()
            .btf;
        let target = Target::new(&btf);
        for path in &objects {
            let obj = Object::parse(&std::fs::read(path).unwrap()).unwrap();
            let Some(local) = obj.btf.as_ref() else {
                continue;
            };
            let mut relocator = Relocator::new(&target);
            for rec in &obj.core_relos {
                let r = relocator.resolve(local, &rec.relo);
                if r.work > most.0 {
                    most = (
                        r.work,
                        format!(
                            "{} relo #{} vs {}",
                            path.display(),
                            rec.index,
                            kernel.display()
                        ),
                    );
                }
            }
        }
    }
    println!("most steps for one relocation: {} ({})", most.0, most.1);
    assert!(most.0 > 0);
    assert!(
        most.0 * 256 < MAX_RELO_STEPS,
        "{} steps ({}) is within 1/256 of the budget",
        most.0,
        most.1
    );
}
