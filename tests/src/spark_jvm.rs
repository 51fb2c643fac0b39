//! JVMs that build a `SparkContext`: Java 17 flags and a pinned environment.
//!
//! A `SparkContext` on Java 17 needs the `--add-opens` flags Spark's launcher adds
//! ([`JAVA17_MODULE_OPTIONS`], the value of `org.apache.spark.launcher.JavaModuleOptions` in
//! Spark 3.5.6); without them start-up fails with `IllegalAccessError … sun.nio.ch.DirectBuffer`.
//! Spark also reads a few environment variables into what it sends to Mesos (the user, the
//! Spark home, the executor URI, the public host name, the Mesos principal and secret), so
//! [`command`] pins or removes them to make the output independent of the machine.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::JavaHarness;

/// Spark 3.5.6's `JavaModuleOptions.defaultModuleOptions()`, flag by flag.
pub const JAVA17_MODULE_OPTIONS: &[&str] = &[
    "-XX:+IgnoreUnrecognizedVMOptions",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
    "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
    "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
    "--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "-Djdk.reflect.useDirectMethodHandle=false",
];

/// The user name Spark sees (`SPARK_USER`) in JVMs started by [`command`].
pub const SPARK_USER: &str = "oracle";

/// Environment variables Spark would fold into framework or executor settings; removed.
const UNSET_ENV: &[&str] = &[
    "SPARK_HOME",
    "SPARK_EXECUTOR_URI",
    "SPARK_PUBLIC_DNS",
    "SPARK_MESOS_PRINCIPAL",
    "SPARK_MESOS_PRINCIPAL_FILE",
    "SPARK_MESOS_SECRET",
    "SPARK_MESOS_SECRET_FILE",
    "SPARK_CONF_DIR",
    "SPARK_TESTING",
    "SPARK_PREPEND_CLASSES",
    "_SPARK_LAUNCHER_PORT",
    "_SPARK_LAUNCHER_SECRET",
];

/// A `java` command for `main_class` with the Java 17 flags, a small heap, `SPARK_USER` pinned
/// to [`SPARK_USER`], `SPARK_LOCAL_IP` set to loopback and the variables Spark would otherwise
/// pick up from this machine removed. Add arguments and I/O settings, then spawn it.
pub fn command(harness: &JavaHarness, main_class: &str) -> Command {
    let mut jvm: Vec<&str> = JAVA17_MODULE_OPTIONS.to_vec();
    jvm.extend(["-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]);
    let mut cmd = harness.command(jvm, main_class);
    cmd.env("SPARK_USER", SPARK_USER).env("SPARK_LOCAL_IP", "127.0.0.1");
    for var in UNSET_ENV {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `main_class` with `args` through [`command`] and returns its stdout if it exits with
/// 0; otherwise an error holding the status, the tail of stderr and stdout.
pub fn run(harness: &JavaHarness, main_class: &str, args: &[&str]) -> Result<String, String> {
    let mut child = command(harness, main_class)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting java {main_class}: {e}"))?;
    let mut stderr = child.stderr.take().ok_or("no stderr pipe")?;
    // Spark logs freely; drain stderr on a thread so a full pipe cannot stall the JVM.
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
    let stderr = err_reader.join().unwrap_or_default();
    if status.success() {
        return Ok(stdout);
    }
    let tail: Vec<&str> = stderr.lines().rev().take(60).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "java {main_class} {args:?} exited with {status}\n--- stderr (tail) ---\n{}\n--- stdout \
         ---\n{stdout}",
        tail.join("\n")
    ))
}
