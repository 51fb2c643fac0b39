//! Test support shared by the end-to-end and real-Spark interop tests.
//!
//! * [`spark_jars`], [`java_available`] and [`require_real_spark`] decide whether a test can
//!   use the real Spark 3.5.6 classes (installed by `scripts/setup.sh` into `<repo>/.venv`);
//!   [`spark4_python`] and [`require_real_spark4`] the same for Spark 4.0 (`.venv-spark4`).
//! * [`JavaHarness`] compiles every Java file under `tests/java` against those jars, once per
//!   build of the sources, and runs main classes.
//! * [`golden`] reads and compares golden-vector files (`<name> <hex>` lines).
//! * [`fixture`] writes Spark-layout shuffle files for end-to-end tests.
//! * [`daemon`] runs our `shuffle-server` binary as a child process.
//! * [`spark_driver`] scripts Spark 3.5.6's own `ExternalBlockStoreClient`.
//! * [`server`] runs the daemon in-process and speaks raw protocol to it.
//! * [`jvm_service`] runs Spark's own JVM external shuffle service (standalone or Mesos).
//! * [`pki`] issues certificates for the TLS tests.
//! * [`mesos_scenarios`] reads the Mesos backend oracle's scenario and call fixtures.
//! * [`spark_jvm`] starts JVMs that build a `SparkContext` (Java 17 flags, pinned environment).
//! * [`zookeeper`] runs a real ZooKeeper server from the Spark jars.
//! * [`spark_on_mesos`] builds the Mesos bridge jars and backend, runs a PySpark job through
//!   them on a `mesos-local` cluster, drives PySpark driver scripts and finds their executor
//!   JVMs.
//! * [`mesos_e2e`] is the three-agent cluster with a shuffle daemon per agent, and the static
//!   application's checks, that the Spark 3.5 and Spark 4 end-to-end tests share.

pub mod daemon;
pub mod dispatcher;
pub mod fixture;
pub mod jvm_service;
pub mod mesos_e2e;
pub mod mesos_scenarios;
pub mod pki;
pub mod server;
pub mod spark_driver;
pub mod spark_jvm;
pub mod spark_on_mesos;
pub mod zookeeper;

use std::collections::hash_map::DefaultHasher;
use std::ffi::OsStr;
use std::fs;
use std::hash::Hasher;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// The Spark release the interop tests and the golden fixture are made with.
pub const SPARK_VERSION: &str = "3.5.6";

/// Environment variable naming a directory of Spark jars; overrides the `.venv` lookup.
pub const SPARK_JARS_DIR_ENV: &str = "SPARK_JARS_DIR";

/// The Spark 4 line the Spark 4 tests run: `scripts/setup.sh` installs pyspark 4.0.1 into
/// `<repo>/.venv-spark4`, and any 4.0.x found there is used.
pub const SPARK4_LINE: &str = "4.0";

/// The committed golden vectors, relative to [`repo_root`].
pub const GOLDEN_FIXTURE: &str = "protocol/tests/fixtures/spark-3.5.6-vectors.txt";

/// Main class of the golden-vector generator (`tests/java/golden/GoldenVectors.java`).
pub const GOLDEN_MAIN: &str = "golden.GoldenVectors";

/// How long one awaited step of a test may take before [`limit`] fails it.
pub const STEP_LIMIT: Duration = Duration::from_secs(120);

/// Awaits `f` for at most [`STEP_LIMIT`], so a hang fails the test (naming `what`) instead
/// of stalling the suite.
pub async fn limit<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(STEP_LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {STEP_LIMIT:?}"))
}

/// The workspace root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative paths taken from the repo root)
/// or `<repo>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => repo_root().join(dir),
        _ => repo_root().join("target"),
    }
}

/// The directory holding Spark's jars, if present.
///
/// `$SPARK_JARS_DIR` wins when set (and is then the only place looked at); otherwise
/// `<repo>/.venv/lib/python*/site-packages/pyspark/jars`, where `scripts/setup.sh` installs
/// `pyspark==3.5.6`. A directory only counts if it holds a `spark-network-common` jar.
pub fn spark_jars() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(SPARK_JARS_DIR_ENV).filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return has_spark_network_jar(&dir).then_some(dir);
    }
    pyspark_jars_dirs(&repo_root().join(".venv")).into_iter().find(|dir| has_spark_network_jar(dir))
}

/// `<repo>/.venv-spark4/bin/python`, if that venv holds a pyspark [`SPARK4_LINE`].x wheel
/// (recognised by its `spark-core_2.13-4.0.*` jar). Its `pyspark` folder is a Spark 4 home:
/// `bin/spark-submit`, `bin/spark-class` and the Scala 2.13 jars.
pub fn spark4_python() -> Option<PathBuf> {
    let venv = repo_root().join(".venv-spark4");
    let python = venv.join("bin").join("python");
    let core = format!("spark-core_2.13-{SPARK4_LINE}.");
    let installed = pyspark_jars_dirs(&venv).iter().any(|dir| has_jar(dir, &core));
    (installed && python.is_file()).then_some(python)
}

/// `<venv>/lib/python*/site-packages/pyspark/jars`, sorted, whether they exist or not.
fn pyspark_jars_dirs(venv: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(venv.join("lib")) else { return Vec::new() };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("python"))
        .map(|e| e.path().join("site-packages").join("pyspark").join("jars"))
        .collect();
    dirs.sort();
    dirs
}

fn has_spark_network_jar(dir: &Path) -> bool {
    has_jar(dir, "spark-network-common")
}

/// True if `dir` holds a `.jar` whose name starts with `prefix`.
fn has_jar(dir: &Path, prefix: &str) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(|e| e.ok()).any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".jar")
        })
    })
}

/// Path of a JDK tool: `$JAVA_HOME/bin/<tool>` if that exists, else `<tool>` from `PATH`.
fn jdk_tool(tool: &str) -> PathBuf {
    if let Some(home) = std::env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        let candidate = Path::new(&home).join("bin").join(tool);
        if candidate.is_file() {
            return candidate;
        }
    }
    PathBuf::from(tool)
}

fn tool_runs(tool: &str) -> bool {
    Command::new(jdk_tool(tool))
        .arg("-version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True if both `java` and `javac` run (`$JAVA_HOME/bin` first, then `PATH`).
pub fn java_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| tool_runs("java") && tool_runs("javac"))
}

/// True if the environment variable `CI` is set to a non-empty value.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Gate for tests that need a JDK and the Spark jars.
///
/// Returns true when both are present. Otherwise, if `CI` is set, panics with what is missing
/// (CI must never silently skip interop coverage); if not, writes a loud `SKIPPED: …` line
/// straight to stderr (past the test harness's output capture) and returns false, and the
/// caller should return early.
pub fn require_real_spark() -> bool {
    let mut missing = Vec::new();
    if !java_available() {
        missing.push(JDK_MISSING.to_owned());
    }
    if spark_jars().is_none() {
        missing.push(match std::env::var_os(SPARK_JARS_DIR_ENV).filter(|d| !d.is_empty()) {
            Some(dir) => format!(
                "Spark jars: ${SPARK_JARS_DIR_ENV}={} holds no spark-network-common jar",
                Path::new(&dir).display()
            ),
            None => format!(
                "Spark {SPARK_VERSION} jars under {}/.venv/lib/python*/site-packages/pyspark/jars",
                repo_root().display()
            ),
        });
    }
    gate(
        &missing,
        &format!(
            "Run scripts/setup.sh (or set {SPARK_JARS_DIR_ENV} to a Spark {SPARK_VERSION} jars \
             directory)"
        ),
    )
}

/// Gate for tests that run Spark 4: a JDK and [`spark4_python`], on the same terms as
/// [`require_real_spark`] (a panic when `CI` is set, else a loud `SKIPPED` line and false).
pub fn require_real_spark4() -> bool {
    let mut missing = Vec::new();
    if !java_available() {
        missing.push(JDK_MISSING.to_owned());
    }
    if spark4_python().is_none() {
        missing.push(format!("pyspark {SPARK4_LINE}.x in {}/.venv-spark4", repo_root().display()));
    }
    gate(&missing, "Run scripts/setup.sh (without SKIP_SPARK4=1)")
}

const JDK_MISSING: &str = "a JDK (java and javac; install openjdk-17-jdk-headless)";

/// True if nothing is `missing`; otherwise a panic naming it when `CI` is set (CI must never
/// silently skip interop coverage), else a `SKIPPED` line on stderr and false. `fix` says how
/// to install what is missing.
fn gate(missing: &[String], fix: &str) -> bool {
    if missing.is_empty() {
        return true;
    }
    let what = missing.join("; ");
    assert!(!in_ci(), "CI is set but this real-Spark test cannot run: missing {what}. {fix}.");
    let line = format!(
        "\n*** SKIPPED: {}: missing {what}. {fix} to enable this test. ***\n",
        std::thread::current().name().unwrap_or("real-Spark test")
    );
    // Written to the stderr handle directly: libtest captures print!/eprint!, not this.
    let _ = io::stderr().write_all(line.as_bytes());
    false
}

/// Gate for tests that need the command `name` (installed by `scripts/setup.sh` from the
/// Debian package `package`), on the same terms as [`require_real_spark`]: true when it is
/// on the `PATH`; otherwise a panic when `CI` is set, else a loud `SKIPPED` line and false.
pub fn require_command(name: &str, package: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v \"$0\"", name])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return true;
    }
    assert!(!in_ci(), "CI is set but {name} is missing: run scripts/setup.sh (apt: {package})");
    let line = format!(
        "\n*** SKIPPED: {}: missing {name} (Debian package {package}). Run scripts/setup.sh \
         to enable this test. ***\n",
        std::thread::current().name().unwrap_or("test")
    );
    let _ = io::stderr().write_all(line.as_bytes());
    false
}

/// Compiled `tests/java` sources plus the Spark jars: runs Java main classes for tests.
///
/// [`JavaHarness::get`] compiles every `*.java` under `tests/java` with `javac` against
/// `<jars>/*` into `<target>/java-classes/<stamp>/`, where `<stamp>` hashes the sources, the
/// jar list and the `javac` used. Compilation happens in a private temporary directory that is
/// renamed into place when complete, so concurrent test processes never see half-written
/// classes and an up-to-date build is reused by later processes.
#[derive(Debug)]
pub struct JavaHarness {
    jars: PathBuf,
    classes: PathBuf,
}

impl JavaHarness {
    /// The process-wide harness, compiling the Java sources on first use.
    ///
    /// Errors if the JDK or the jars are missing (call [`require_real_spark`] first) or if
    /// compilation fails (the message holds javac's output).
    pub fn get() -> Result<&'static Self, String> {
        static HARNESS: OnceLock<Result<JavaHarness, String>> = OnceLock::new();
        HARNESS.get_or_init(Self::build).as_ref().map_err(Clone::clone)
    }

    fn build() -> Result<Self, String> {
        if !java_available() {
            return Err("java/javac not found".to_owned());
        }
        let jars = spark_jars().ok_or("Spark jars not found (see spark_jars())")?;
        let src_root = repo_root().join("tests").join("java");
        let mut sources = Vec::new();
        collect_java_files(&src_root, &mut sources)
            .map_err(|e| format!("listing {}: {e}", src_root.display()))?;
        sources.sort();
        if sources.is_empty() {
            return Err(format!("no Java sources under {}", src_root.display()));
        }

        let javac = jdk_tool("javac");
        let stamp = build_stamp(&src_root, &sources, &jars, &javac)?;
        let root = target_dir().join("java-classes");
        let classes = root.join(format!("{stamp:016x}"));
        let marker = classes.join(".complete");
        if marker.is_file() {
            return Ok(Self { jars, classes });
        }

        fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        let tmp = root.join(format!(".tmp-{}-{}", std::process::id(), nanos.as_nanos()));
        fs::create_dir_all(&tmp).map_err(|e| format!("creating {}: {e}", tmp.display()))?;
        let output = Command::new(&javac)
            .args(["-encoding", "UTF-8", "-proc:none", "-nowarn", "-g", "-d"])
            .arg(&tmp)
            .arg("-cp")
            .arg(jars.join("*"))
            .args(&sources)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running {}: {e}", javac.display()))?;
        if !output.status.success() {
            let _ = fs::remove_dir_all(&tmp);
            return Err(format!(
                "javac failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        fs::write(tmp.join(".complete"), b"").map_err(|e| format!("writing marker: {e}"))?;
        if let Err(e) = fs::rename(&tmp, &classes) {
            let _ = fs::remove_dir_all(&tmp);
            // Another process won the race with identical sources: use its output.
            if !marker.is_file() {
                return Err(format!("moving classes to {}: {e}", classes.display()));
            }
        }
        remove_stale_builds(&root, &classes);
        Ok(Self { jars, classes })
    }

    /// The Spark jars directory in use.
    pub fn jars_dir(&self) -> &Path {
        &self.jars
    }

    /// The directory holding the compiled `tests/java` classes.
    pub fn classes_dir(&self) -> &Path {
        &self.classes
    }

    /// The class path: compiled classes first, then every jar (`<jars>/*`, expanded by the
    /// `java` launcher).
    pub fn classpath(&self) -> String {
        format!("{}:{}", self.classes.display(), self.jars.join("*").display())
    }

    /// A `java` command with `jvm_args` (e.g. `-Dspark.authenticate=true`), the class path
    /// and `main_class`; add program arguments and I/O settings, then spawn it.
    pub fn command<I, S>(&self, jvm_args: I, main_class: &str) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(jdk_tool("java"));
        cmd.args(jvm_args).arg("-cp").arg(self.classpath()).arg(main_class);
        cmd
    }

    /// Runs `main_class` with `args` and empty stdin; returns stdout if it exits with 0, else
    /// an error with the exit status, stderr and stdout.
    pub fn run(&self, main_class: &str, args: &[&str]) -> Result<String, String> {
        self.run_with_stdin(main_class, args, "")
    }

    /// Like [`JavaHarness::run`], feeding `stdin` to the program.
    pub fn run_with_stdin(
        &self,
        main_class: &str,
        args: &[&str],
        stdin: &str,
    ) -> Result<String, String> {
        let mut child = self
            .command(std::iter::empty::<&str>(), main_class)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting java {main_class}: {e}"))?;
        let mut input = child.stdin.take().ok_or("no stdin pipe")?;
        let data = stdin.as_bytes().to_vec();
        // A writer thread, so a program that prints before reading cannot deadlock us.
        let writer = std::thread::spawn(move || input.write_all(&data));
        let mut stderr = child.stderr.take().ok_or("no stderr pipe")?;
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .ok_or("no stdout pipe")?
            .read_to_string(&mut stdout)
            .map_err(|e| format!("reading stdout of {main_class}: {e}"))?;
        let status = child.wait().map_err(|e| format!("waiting for {main_class}: {e}"))?;
        let _ = writer.join();
        let stderr = err_reader.join().unwrap_or_default();
        if status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "java {main_class} {args:?} exited with {status}\n--- stderr ---\n{stderr}\n--- \
                 stdout ---\n{stdout}"
            ))
        }
    }
}

fn collect_java_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_java_files(&path, out)?;
        } else if path.extension() == Some(OsStr::new("java")) {
            out.push(path);
        }
    }
    Ok(())
}

/// Hash of everything that decides the compiled output.
fn build_stamp(
    src_root: &Path,
    sources: &[PathBuf],
    jars: &Path,
    javac: &Path,
) -> Result<u64, String> {
    let mut h = DefaultHasher::new();
    h.write(javac.as_os_str().as_encoded_bytes());
    h.write(jars.as_os_str().as_encoded_bytes());
    let mut jar_names: Vec<_> = fs::read_dir(jars)
        .map_err(|e| format!("listing {}: {e}", jars.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    jar_names.sort();
    for name in &jar_names {
        h.write(name.as_encoded_bytes());
        h.write_u8(0);
    }
    for src in sources {
        let rel = src.strip_prefix(src_root).unwrap_or(src);
        h.write(rel.as_os_str().as_encoded_bytes());
        h.write_u8(0);
        let text = fs::read(src).map_err(|e| format!("reading {}: {e}", src.display()))?;
        h.write_usize(text.len());
        h.write(&text);
    }
    Ok(h.finish())
}

/// Removes other builds (earlier stamps, abandoned temporary directories) once they are an
/// hour old; younger ones may still be in use by a concurrently running test process.
fn remove_stale_builds(root: &Path, keep: &Path) {
    let Ok(entries) = fs::read_dir(root) else { return };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if path != keep && old {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Golden-vector files: `# ` comment lines, then `<name> <lowercase hex>` lines.
pub mod golden {
    use std::collections::BTreeMap;

    /// One parsed vector line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Vector {
        /// The vector's name (first field).
        pub name: String,
        /// Its bytes, as lowercase hex (second field).
        pub hex: String,
    }

    impl Vector {
        /// The decoded bytes.
        pub fn bytes(&self) -> Vec<u8> {
            self.hex
                .as_bytes()
                .chunks(2)
                .map(|pair| {
                    let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                    digit(pair[0]) << 4 | digit(pair[1])
                })
                .collect()
        }
    }

    /// Parses a vector file, skipping blank lines and lines starting with `#`. Rejects lines
    /// without exactly two fields, hex that is not lowercase with an even number of digits,
    /// and duplicate names.
    pub fn parse(text: &str) -> Result<Vec<Vector>, String> {
        let mut seen = BTreeMap::new();
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, hex] = fields[..] else {
                return Err(format!("line {}: expected `<name> <hex>`: {line}", i + 1));
            };
            if hex.len() % 2 != 0 || !hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(format!("line {}: `{name}`: not lowercase hex bytes", i + 1));
            }
            if seen.insert(name.to_owned(), i + 1).is_some() {
                return Err(format!("line {}: duplicate name `{name}`", i + 1));
            }
            out.push(Vector { name: name.to_owned(), hex: hex.to_owned() });
        }
        Ok(out)
    }

    /// Differences between `expected` and `actual`, one `-`/`+` pair per changed vector
    /// (unified-diff style), `-` only for missing and `+` only for extra names. Empty if equal
    /// as sets of `(name, hex)`; order is ignored.
    pub fn diff(expected: &[Vector], actual: &[Vector]) -> Vec<String> {
        let exp: BTreeMap<&str, &str> =
            expected.iter().map(|v| (v.name.as_str(), v.hex.as_str())).collect();
        let act: BTreeMap<&str, &str> =
            actual.iter().map(|v| (v.name.as_str(), v.hex.as_str())).collect();
        let mut out = Vec::new();
        for v in expected {
            match act.get(v.name.as_str()) {
                Some(hex) if *hex == v.hex => {}
                Some(hex) => {
                    out.push(format!(
                        "@@ {} (first difference at byte {})",
                        v.name,
                        first_diff(&v.hex, hex)
                    ));
                    out.push(format!("- {} {}", v.name, v.hex));
                    out.push(format!("+ {} {hex}", v.name));
                }
                None => {
                    out.push(format!("@@ {} (only in expected)", v.name));
                    out.push(format!("- {} {}", v.name, v.hex));
                }
            }
        }
        for v in actual.iter().filter(|v| !exp.contains_key(v.name.as_str())) {
            out.push(format!("@@ {} (only in actual)", v.name));
            out.push(format!("+ {} {}", v.name, v.hex));
        }
        out
    }

    fn first_diff(a: &str, b: &str) -> usize {
        let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        common / 2
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parses_and_diffs() {
            let a = parse("# c\nx 0a0b\n\ny ff\n").expect("parse");
            assert_eq!(a.len(), 2);
            assert_eq!(a[0].bytes(), vec![0x0a, 0x0b]);
            let b = parse("y ff\nx 0a0c\nz 00\n").expect("parse");
            let d = diff(&a, &b);
            assert_eq!(
                d,
                vec![
                    "@@ x (first difference at byte 1)",
                    "- x 0a0b",
                    "+ x 0a0c",
                    "@@ z (only in actual)",
                    "+ z 00"
                ]
            );
            assert!(diff(&a, &a).is_empty());
        }

        #[test]
        fn rejects_bad_lines() {
            assert!(parse("x 0A").is_err());
            assert!(parse("x 0").is_err());
            assert!(parse("x").is_err());
            assert!(parse("x 00 extra").is_err());
            assert!(parse("x 00\nx 01").is_err());
        }
    }
}
