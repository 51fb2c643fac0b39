//! The deployment files in `deploy/` (`docs/operations.md`): the systemd unit passes
//! `systemd-analyze verify`, the Marathon app and the Kubernetes manifests carry the keys,
//! types and values their tools require and our daemon needs, and the container image builds
//! the binary the README builds.
//!
//! No Marathon, Kubernetes or Docker runs here: the checks are our own, key by key.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use shuffle_tests::{repo_root, require_command};

/// The README's release build; the image's build stage must run exactly this.
const RELEASE_BUILD: &str = "cargo build --release -p shuffle-server --bin shuffle-server";

/// The shuffle port every target exposes on the host, as Spark's service.
const SHUFFLE_PORT: u64 = 7337;

/// The metrics port the orchestrators' health checks use.
const METRICS_PORT: u64 = 7338;

/// Where executors' local dirs are on every host, and inside the containers.
const SPARK_LOCAL: &str = "/var/lib/spark/local";

fn deploy(path: &str) -> PathBuf {
    repo_root().join("deploy").join(path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The value of `--conf key=…` in an argument list.
fn conf<'a>(args: &'a [Value], key: &str) -> Option<&'a str> {
    let prefix = format!("{key}=");
    args.windows(2)
        .filter(|w| w[0] == "--conf")
        .find_map(|w| w[1].as_str()?.strip_prefix(prefix.as_str()))
}

/// The shuffle and metrics ports, the local-dir confinement and a connection limit, all
/// through `--conf`; the state dir through its flag.
fn assert_daemon_args(args: &[Value]) {
    assert_eq!(conf(args, "spark.shuffle.service.port"), Some("7337"));
    assert_eq!(conf(args, "spark.shuffle.service.rs.metricsPort"), Some("7338"));
    assert_eq!(conf(args, "spark.shuffle.service.rs.allowedLocalDirRoots"), Some(SPARK_LOCAL));
    assert!(conf(args, "spark.shuffle.service.rs.maxConnections").is_some());
    let flag = args.iter().position(|a| a == "--state-dir").expect("--state-dir");
    assert_eq!(args[flag + 1], "/var/lib/spark-shuffle-server");
    // Every flag is one the daemon knows.
    let cli = <shuffle_server::config::Cli as clap::CommandFactory>::command();
    let strings: Vec<&str> = args.iter().map(|a| a.as_str().expect("string args")).collect();
    cli.try_get_matches_from(std::iter::once("shuffle-server").chain(strings))
        .unwrap_or_else(|e| panic!("the daemon refuses these arguments: {e}"));
}

#[test]
fn systemd_unit_verifies_and_is_a_hardened_notify_service() {
    let unit_path = deploy("systemd/shuffle-server.service");
    let unit = read(&unit_path);
    let directive = |key: &str| -> Vec<&str> {
        unit.lines().filter_map(|l| l.strip_prefix(key)?.strip_prefix('=')).collect()
    };
    for (key, want) in [
        ("Type", "notify"),
        ("WatchdogSec", "30s"),
        ("KillSignal", "SIGTERM"),
        ("LimitNOFILE", "1048576"),
        ("User", "spark-shuffle"),
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("StateDirectory", "spark-shuffle-server"),
        ("ReadWritePaths", "-/var/lib/spark/local"),
        // Spark's default spark.local.dir is /tmp: a private /tmp would hide executors' files.
        ("PrivateTmp", "no"),
    ] {
        assert_eq!(directive(key), [want], "{key}=");
    }
    let exec = directive("ExecStart");
    assert!(exec.len() == 1 && exec[0].starts_with("/usr/local/bin/shuffle-server "), "{exec:?}");
    assert!(exec[0].contains("--state-dir /var/lib/spark-shuffle-server"), "{exec:?}");
    // AF_UNIX carries the notify socket.
    assert!(directive("RestrictAddressFamilies")[0].contains("AF_UNIX"));

    if !require_command("systemd-analyze", "systemd") {
        return;
    }
    // verify checks that ExecStart's binary exists: point it at the one this build made.
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = shuffle_tests::daemon::binary();
    let checked = dir.path().join("shuffle-server.service");
    let unit = unit.replace("/usr/local/bin/shuffle-server", &binary.to_string_lossy());
    std::fs::write(&checked, unit).expect("writing the unit");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&checked)
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .expect("running systemd-analyze");
    // verify reports unknown keys and bad values on stderr and still exits 0.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "{}: {stderr}", out.status);
}

#[test]
fn marathon_app_runs_one_daemon_per_agent_on_the_shuffle_port() {
    let app: Value = serde_json::from_str(&read(&deploy("marathon/shuffle-server.json")))
        .expect("the Marathon app is JSON");
    assert!(app["id"].as_str().is_some_and(|id| id.starts_with('/')), "id");
    assert!(app["instances"].as_u64().is_some_and(|n| n >= 1), "instances");
    assert!(app["cpus"].as_f64().is_some_and(|c| c > 0.0), "cpus");
    assert!(app["mem"].as_f64().is_some_and(|m| m >= 64.0), "mem (MiB)");
    assert!(app.get("cmd").is_none(), "cmd and args exclude each other");
    assert_eq!(app["constraints"], serde_json::json!([["hostname", "UNIQUE"]]));
    assert_eq!(app["container"]["type"], "DOCKER");
    assert!(app["container"]["docker"]["image"].as_str().is_some_and(|i| !i.is_empty()));
    assert_eq!(app["networks"], serde_json::json!([{ "mode": "host" }]));
    assert_eq!(app["requirePorts"], true);
    let ports: Vec<u64> = app["portDefinitions"]
        .as_array()
        .expect("portDefinitions")
        .iter()
        .map(|p| p["port"].as_u64().expect("port"))
        .collect();
    assert_eq!(ports, [SHUFFLE_PORT, METRICS_PORT]);
    let volumes = app["container"]["volumes"].as_array().expect("volumes");
    assert!(
        volumes.iter().any(|v| v["hostPath"] == SPARK_LOCAL
            && v["containerPath"] == SPARK_LOCAL
            && v["mode"] == "RW"),
        "the agents' Spark local dirs, at the same path, writable for cleanup"
    );
    let checks = app["healthChecks"].as_array().expect("healthChecks");
    assert_eq!(checks.len(), 1);
    let check = &checks[0];
    assert_eq!(check["protocol"], "MESOS_HTTP");
    assert_eq!(check["path"], "/metrics");
    assert_eq!(check["portIndex"], 1, "the metrics port");
    for key in ["gracePeriodSeconds", "intervalSeconds", "timeoutSeconds", "maxConsecutiveFailures"]
    {
        assert!(check[key].as_u64().is_some(), "{key}");
    }
    assert!(app["taskKillGracePeriodSeconds"].as_u64().is_some_and(|s| s > 10), "drain time");
    assert_daemon_args(app["args"].as_array().expect("args"));
}

#[test]
fn kubernetes_daemonset_serves_every_node_on_the_host_port() {
    let text = read(&deploy("kubernetes/shuffle-server.yaml"));
    let docs: Vec<Value> = text
        .split("\n---\n")
        .map(|doc| serde_norway::from_str(doc).expect("each manifest is YAML"))
        .collect();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().expect("kind")).collect();
    assert_eq!(kinds, ["Namespace", "DaemonSet"]);
    assert_eq!(docs[0]["apiVersion"], "v1");
    let ds = &docs[1];
    assert_eq!(ds["apiVersion"], "apps/v1");
    assert_eq!(ds["metadata"]["namespace"], docs[0]["metadata"]["name"]);
    let spec = &ds["spec"];
    let selector = spec["selector"]["matchLabels"].as_object().expect("matchLabels");
    let labels = spec["template"]["metadata"]["labels"].as_object().expect("pod labels");
    assert!(!selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v)));

    let pod = &spec["template"]["spec"];
    assert!(pod["terminationGracePeriodSeconds"].as_u64().is_some_and(|s| s > 10));
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let containers = pod["containers"].as_array().expect("containers");
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    assert!(c["image"].as_str().is_some_and(|i| !i.is_empty()));
    let port = |name: &str| {
        c["ports"].as_array().expect("ports").iter().find(|p| p["name"] == name).cloned()
    };
    let shuffle = port("shuffle").expect("shuffle port");
    assert_eq!((&shuffle["containerPort"], &shuffle["hostPort"]), (&7337.into(), &7337.into()));
    assert_eq!(port("metrics").expect("metrics port")["containerPort"], METRICS_PORT);
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/metrics");
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "metrics");
    let resources = &c["resources"];
    assert_eq!(resources["requests"]["memory"], "32Mi", "docs/operations.md sizes it");
    assert_eq!(resources["requests"]["cpu"], "100m");
    assert_eq!(resources["limits"]["memory"], "512Mi");
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);

    let mounts = c["volumeMounts"].as_array().expect("volumeMounts");
    let volumes = pod["volumes"].as_array().expect("volumes");
    let host_path_of = |mount_path: &str| {
        let mount = mounts.iter().find(|m| m["mountPath"] == mount_path)?;
        let volume = volumes.iter().find(|v| v["name"] == mount["name"])?;
        volume["hostPath"]["path"].as_str().map(str::to_owned)
    };
    assert_eq!(host_path_of(SPARK_LOCAL).as_deref(), Some(SPARK_LOCAL), "same path inside");
    assert!(host_path_of("/var/lib/spark-shuffle-server").is_some(), "state survives the pod");
    assert_daemon_args(c["args"].as_array().expect("args"));
}

#[test]
fn dockerfile_builds_the_readme_binary_in_a_small_non_root_image() {
    let dockerfile = read(&deploy("container/Dockerfile"));
    let mut stages: Vec<(String, Vec<String>)> = Vec::new();
    for line in dockerfile.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (instruction, rest) = line.split_once(' ').unwrap_or((line, ""));
        if instruction == "FROM" {
            stages.push((rest.to_owned(), Vec::new()));
        } else {
            let stage = stages.last_mut().expect("an instruction before FROM");
            stage.1.push(line.to_owned());
        }
    }
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (build_from, build) = &stages[0];
    assert!(build_from.ends_with(" AS build"), "{build_from}");
    let runs: Vec<&str> = build.iter().filter_map(|l| l.strip_prefix("RUN ")).collect();
    assert_eq!(runs, [RELEASE_BUILD], "the build stage runs exactly the README's build");
    let readme = read(&repo_root().join("README.md"));
    assert!(
        readme.lines().any(|l| l == RELEASE_BUILD),
        "README.md no longer shows {RELEASE_BUILD}"
    );

    let (runtime_from, runtime) = &stages[1];
    assert!(runtime_from.starts_with("gcr.io/distroless/cc-debian12"), "{runtime_from}");
    let copy = runtime.iter().find(|l| l.starts_with("COPY --from=build ")).expect("COPY");
    let parts: Vec<&str> = copy.split_whitespace().collect();
    assert_eq!(parts[2], "/src/target/release/shuffle-server");
    let installed = parts[3];
    assert!(runtime.contains(&format!("ENTRYPOINT [\"{installed}\"]")), "{runtime:?}");
    let user = runtime.iter().find_map(|l| l.strip_prefix("USER ")).expect("USER");
    assert!(!user.starts_with('0') && !user.starts_with("root"), "runs as {user}");

    // The binary that command names is the workspace's: package shuffle-server, bin target
    // shuffle-server, which cargo writes to target/release/shuffle-server.
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["metadata", "--no-deps", "--format-version", "1", "--offline"])
        .current_dir(repo_root())
        .output()
        .expect("running cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metadata: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata is JSON");
    let package = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "shuffle-server")
        .expect("package shuffle-server");
    let bins: Vec<&str> = package["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter(|t| t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "bin")))
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(bins, ["shuffle-server"]);
}
