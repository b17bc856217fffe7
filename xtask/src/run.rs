//! One matrix run: fetch, build, boot (in parallel), judge, print.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result};
use corex_btf::printable;

use crate::check;
use crate::fetch;
use crate::guest::{self, Accel, AccelChoice};
use crate::host;
use crate::kernels::{Feature, Kernel, NATIVE};
use crate::matrix::{self, Row};
use crate::process::Captured;
use crate::programs::Programs;
use crate::protocol::{self, Report, Run};
use crate::variants::{self, Paths, Scenario, Variant};

/// What to run.
pub struct Plan {
    /// The repository (fixtures, the corex sources).
    pub repo: PathBuf,
    /// `target/kernels`.
    pub cache: PathBuf,
    /// The Debian kernels to boot.
    pub debian: Vec<&'static Kernel>,
    /// Whether to test the running kernel too.
    pub native: bool,
    /// Variant-name prefixes to run (empty: all).
    pub only: Vec<String>,
    /// Self-test: only the broken object's row.
    pub broken_object: bool,
    /// Self-test: the kernel whose BTF every guest gets in the no-btf scenario.
    pub wrong_btf: Option<&'static Kernel>,
    /// Per kernel, boot to power-off.
    pub timeout: Duration,
    /// Kernels at once.
    pub jobs: usize,
    /// qemu's accelerator.
    pub accel: AccelChoice,
}

enum How {
    Qemu {
        vmlinuz: PathBuf,
        /// `config-RELEASE`, put at `/boot/config-RELEASE` in the guest.
        config: PathBuf,
        package: String,
    },
    Native,
}

/// A kernel under test.
struct Subject {
    name: String,
    /// `None` for the running kernel: judged by what it shows.
    features: Option<&'static [Feature]>,
    /// Its BTF on the host: the references run against it.
    btf: PathBuf,
    /// The BTF file it gets in the no-btf scenario (its own but in the self-test).
    guest_btf: PathBuf,
    /// Modules of its package the guest inserts at boot (kernels with module BTF).
    modules: Vec<PathBuf>,
    how: How,
}

struct Outcome {
    rows: Vec<Row>,
    summary: String,
}

/// Runs the plan: prints the matrix and the boot times, writes matrix.json, returns the rows.
pub fn run(plan: &Plan) -> Result<Vec<Row>> {
    let mut table = if plan.broken_object {
        variants::broken_object_table()?
    } else {
        variants::table(&plan.repo)?
    };
    if !plan.only.is_empty() {
        table.retain(|v| plan.only.iter().any(|p| v.name.starts_with(p.as_str())));
        anyhow::ensure!(
            !table.is_empty(),
            "--only {}: no variant has such a name",
            plan.only.join(", ")
        );
    }
    let mut tools = vec![("strip", "binutils")];
    if !plan.debian.is_empty() {
        crate::apt::ensure_qemu(&plan.cache.join("apt"))?;
        tools.extend([("dpkg-deb", "dpkg"), ("tar", "tar"), ("xz", "xz-utils")]);
    }
    crate::apt::ensure_tools(&tools)?;
    let programs = Programs::prepare(&plan.repo, &plan.cache)?;
    let wrong_btf = match plan.wrong_btf {
        Some(k) => Some(fetch::fetch(&plan.cache, k)?.btf),
        None => None,
    };
    let mut subjects = Vec::new();
    for kernel in &plan.debian {
        let cached = fetch::fetch(&plan.cache, kernel)?;
        subjects.push(Subject {
            name: kernel.name.to_string(),
            features: Some(kernel.features),
            guest_btf: wrong_btf.clone().unwrap_or_else(|| cached.btf.clone()),
            btf: cached.btf,
            modules: cached.modules,
            how: How::Qemu {
                vmlinuz: cached.vmlinuz,
                config: cached.config,
                package: cached.package,
            },
        });
    }
    if plan.native {
        let btf = fetch::native_btf(&plan.cache)?;
        subjects.push(Subject {
            name: NATIVE.to_string(),
            features: None,
            guest_btf: wrong_btf.clone().unwrap_or_else(|| btf.clone()),
            btf,
            modules: Vec::new(),
            how: How::Native,
        });
    }
    let accel = if plan.debian.is_empty() {
        None
    } else {
        let accel = plan.accel.resolve();
        eprintln!("xtask: accelerator {} {}", accel.name, accel.note);
        Some(accel)
    };
    fs::create_dir_all(plan.cache.join("logs"))?;
    let outcomes = parallel(plan.jobs, &subjects, |s| {
        run_subject(plan, &programs, accel.as_ref(), &table, s)
    });

    let rows: Vec<Row> = outcomes.iter().flat_map(|o| o.rows.clone()).collect();
    let kernels: Vec<String> = subjects.iter().map(|s| s.name.clone()).collect();
    let names: Vec<String> = table.iter().map(|v| v.name.clone()).collect();
    print!("{}", matrix::render(&rows, &kernels, &names));
    println!();
    for o in &outcomes {
        // Summaries quote the guest's `uname -r` and console.
        println!("{}", printable(&o.summary));
    }
    // A self-test's rows are meant to fail: they do not replace the matrix.
    let json = plan
        .cache
        .join(if plan.wrong_btf.is_some() || plan.broken_object {
            "self-test-matrix.json"
        } else {
            "matrix.json"
        });
    fs::write(&json, serde_json::to_string_pretty(&rows)? + "\n")
        .with_context(|| format!("{}", json.display()))?;
    println!("matrix: {}", json.display());
    Ok(rows)
}

/// Runs `work` on every item with `jobs` threads, keeping the items' order.
fn parallel<T: Sync, R: Send>(jobs: usize, items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = work(item);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    results
        .into_iter()
        .filter_map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// Boots (or runs natively) one kernel and judges every row; a failure to run becomes
/// the reason of its rows.
fn run_subject(
    plan: &Plan,
    programs: &Programs,
    accel: Option<&Accel>,
    table: &[Variant],
    subject: &Subject,
) -> Outcome {
    let host_paths = Paths {
        fixtures: plan.repo.clone(),
        kernel_btf: subject.btf.clone(),
        modules: subject
            .modules
            .first()
            .and_then(|m| m.parent())
            .map(Path::to_path_buf),
    };
    let references: BTreeMap<&str, Result<Run, String>> = table
        .iter()
        .filter_map(|v| {
            let argv = v.reference_argv(&host_paths)?;
            Some((v.name.as_str(), host::reference(&programs.corex, &argv)))
        })
        .collect();
    eprintln!("xtask: {}: starting", subject.name);
    let captured = execute(plan, programs, accel, table, subject);
    let (report, fatal, summary) = match &captured {
        Ok(c) => {
            let log = plan
                .cache
                .join("logs")
                .join(format!("{}.log", subject.name));
            let _ = fs::write(&log, c.log());
            let report = protocol::parse(&c.text());
            let fatal = incomplete(c, &report, plan.timeout, &log);
            let summary = summary(subject, accel, c, &report);
            (report, fatal, summary)
        }
        Err(e) => (
            Report::default(),
            Some(format!("{e:#}")),
            format!("{}: could not run: {e:#}", subject.name),
        ),
    };
    eprintln!("xtask: {}", printable(&summary));
    let mut rows = Vec::new();
    for &scenario in Scenario::ALL {
        let not_hidden = match report.btf_entries.get(&scenario) {
            Some(&n) if scenario == Scenario::NoBtf && n > 0 => Some(format!(
                "the no-btf scenario did not hide the kernel's BTF ({n} entries in /sys/kernel/btf)"
            )),
            _ => None,
        };
        for v in table.iter().filter(|v| v.scenarios.contains(&scenario)) {
            let missing = fatal.as_deref().unwrap_or("no result from the driver");
            let guest = match (&not_hidden, report.runs.get(&(scenario, v.name.clone()))) {
                (Some(why), _) => Err(why.as_str()),
                (None, Some(Ok(run))) => Ok(run),
                (None, Some(Err(why))) => Err(why.as_str()),
                (None, None) => Err(missing),
            };
            let reference = references
                .get(v.name.as_str())
                .map(|r| r.as_ref().map_err(String::as_str));
            let verdict = check::judge(v, subject.features, scenario, guest, reference);
            rows.push(Row::new(&subject.name, scenario, &v.name, verdict));
        }
    }
    Outcome { rows, summary }
}

fn execute(
    plan: &Plan,
    programs: &Programs,
    accel: Option<&Accel>,
    table: &[Variant],
    subject: &Subject,
) -> Result<Captured> {
    let dir = plan.cache.join(&subject.name);
    fs::create_dir_all(&dir)?;
    match (&subject.how, accel) {
        (
            How::Qemu {
                vmlinuz, config, ..
            },
            Some(accel),
        ) => {
            let initrd = dir.join("initramfs.cpio.gz");
            let files = guest::GuestFiles {
                kernel_btf: &subject.guest_btf,
                kernel_config: config,
                modules: &subject.modules,
            };
            guest::initramfs(programs, &plan.repo, table, &files, &initrd)?;
            guest::boot(accel, vmlinuz, &initrd, plan.timeout)
        }
        (How::Qemu { .. }, None) => anyhow::bail!("no accelerator chosen for qemu"),
        (How::Native, _) => {
            let paths = Paths {
                fixtures: plan.repo.clone(),
                kernel_btf: subject.guest_btf.clone(),
                modules: None,
            };
            let plan_file = dir.join("plan");
            let driver = dir.join("driver.sh");
            fs::write(&plan_file, variants::plan(table, &paths))?;
            fs::write(&driver, guest::DRIVER)?;
            host::native(&programs.corex, &driver, &plan_file, plan.timeout)
        }
    }
}

/// Why the driver's results are incomplete, if they are.
fn incomplete(c: &Captured, report: &Report, timeout: Duration, log: &Path) -> Option<String> {
    if report.done {
        return None;
    }
    let how = match c.status {
        None => format!("killed at the {} s deadline", timeout.as_secs()),
        Some(status) => format!("ended ({status}) after {:.1} s", c.elapsed.as_secs_f64()),
    };
    // The kernel's panic message, or the console's last words, or qemu's (or the
    // native driver's) standard error.
    let console = || c.lines.iter().rev().map(|(_, l)| l.trim());
    let last = console()
        .find(|l| l.contains("Kernel panic"))
        .or_else(|| console().find(|l| !l.is_empty() && !l.contains("@@corex")))
        .or_else(|| c.stderr.lines().map(str::trim).rfind(|l| !l.is_empty()))
        .unwrap_or("");
    let stage = if report.hello.is_some() {
        "the driver did not finish"
    } else {
        "the driver never started"
    };
    Some(format!(
        "{stage}: {how}; last words {last:?} (log: {})",
        log.display()
    ))
}

/// Where the time went, on the host's clock: boot (qemu start to the driver's
/// greeting), the variants (greeting to its end), and in all.
fn summary(subject: &Subject, accel: Option<&Accel>, c: &Captured, report: &Report) -> String {
    let secs = |d: Duration| d.as_secs_f64();
    let (hello, done) = (c.first("@@corex hello"), c.first("@@corex done"));
    let variants = match (hello, done) {
        (Some(h), Some(d)) => format!("variants {:.1} s, ", secs(d - h)),
        _ => String::new(),
    };
    let total = format!("{variants}{:.1} s in all", secs(c.elapsed));
    match (&subject.how, &report.hello, hello) {
        (How::Qemu { package, .. }, Some(_), Some(h)) => format!(
            "{}: {package} ({}): boot {:.1} s, {total}",
            subject.name,
            accel.map_or("?", |a| a.name),
            secs(h)
        ),
        (How::Native, Some(hi), _) => format!(
            "{}: Linux {} (running kernel, no qemu): {total}",
            subject.name, hi.release
        ),
        _ => format!("{}: the driver never started; {total}", subject.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    fn captured(lines: &[&str], status: Option<ExitStatus>) -> Captured {
        Captured {
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, l)| (Duration::from_secs(i as u64), l.to_string()))
                .collect(),
            stderr: String::new(),
            status,
            elapsed: Duration::from_secs(14),
        }
    }

    #[test]
    fn an_incomplete_run_says_why_with_the_kernel_panic_first() {
        let log = Path::new("logs/k.log");
        let timeout = Duration::from_secs(300);
        let panicked = captured(
            &[
                "[    0.068000] Kernel panic - not syncing: IO-APIC + timer doesn't work!",
                "[    0.068000] Call Trace:",
                "[    0.068000]  </TASK>",
            ],
            Some(ExitStatus::from_raw(0)),
        );
        let report = protocol::parse(&panicked.text());
        let why = incomplete(&panicked, &report, timeout, log).unwrap();
        assert!(why.starts_with("the driver never started: ended"), "{why}");
        assert!(why.contains("Kernel panic - not syncing: IO-APIC"), "{why}");
        assert!(why.contains("logs/k.log"), "{why}");

        let hung = captured(&["@@corex hello 6.1.0 1", "[   30.1] rcu: stall"], None);
        let why = incomplete(&hung, &protocol::parse(&hung.text()), timeout, log).unwrap();
        assert!(
            why.starts_with("the driver did not finish: killed at the 300 s deadline"),
            "{why}"
        );
        assert!(why.contains("rcu: stall"), "{why}");

        let finished = captured(&["@@corex hello 6.1.0 1", "@@corex done"], None);
        assert_eq!(
            incomplete(&finished, &protocol::parse(&finished.text()), timeout, log),
            None
        );
    }
}
