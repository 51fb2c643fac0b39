//! The driver's `CommandInfo` as `MesosClusterScheduler.buildDriverCommand` makes it: the
//! `spark-submit` line with Spark's shell escaping, the environment and the fetcher URIs.
//!
//! Spark pastes the app resource and the app arguments into the line unescaped, and leaves a
//! value alone when it is wrapped in quotes or when its special characters sit on a line
//! after a newline (its regex does not cross lines). The shell would then run what such a
//! value says. Where Spark's line would let a value out of its word, we refuse to launch
//! ([`Error::UnsafeForShell`]); every other line is Spark's, byte for byte.

use std::collections::BTreeMap;

use mesos::proto::command_info::Uri;
use mesos::proto::{environment, CommandInfo, Environment};
use mesos::rules::conf::SparkConf;
use mesos::rules::{secrets, uris};

use super::java;
use super::LaunchConf;
use crate::queue::DriverDescription;
use crate::{Error, Result};

/// `spark.mesos.executor.docker.image`: the driver runs `./bin/spark-submit` of the image.
const EXECUTOR_DOCKER_IMAGE: &str = "spark.mesos.executor.docker.image";
/// `spark.mesos.executor.home`: where Spark lives on the agents.
const EXECUTOR_HOME: &str = "spark.mesos.executor.home";
/// `spark.executor.extraLibraryPath` of the dispatcher: prefixed to the driver's library path.
const EXECUTOR_LIBRARY_PATH: &str = "spark.executor.extraLibraryPath";
/// `spark.driver.extraLibraryPath` of the submission.
const DRIVER_LIBRARY_PATH: &str = "spark.driver.extraLibraryPath";
/// `spark.mesos.driverEnv.`: environment variables of the driver.
const DRIVER_ENV_PREFIX: &str = "spark.mesos.driverEnv.";
/// `spark.mesos.dispatcher.driverDefault.`: conf every driver gets unless it sets the key.
const DRIVER_DEFAULT_PREFIX: &str = "spark.mesos.dispatcher.driverDefault.";
/// `spark.mesos.dispatcher.rs.driverMasterScheme` (ours): the scheme of the driver's
/// `--master`. `mesos` (the default) runs Spark's own Mesos backend, as Spark's dispatcher
/// does; `spark-mesos` runs the `spark-mesos://` bridge to our backend (for Spark 4 drivers).
pub const DRIVER_MASTER_SCHEME: &str = "spark.mesos.dispatcher.rs.driverMasterScheme";
const DRIVER_MASTER_SCHEMES: &[&str] = &["mesos", "spark-mesos"];

/// Keys never passed on as `--conf`: the jars, the deploy mode and the dispatcher's address.
const NOT_REPLICATED: [&str; 3] = ["spark.jars", "spark.submit.deployMode", "spark.master"];

/// `shellEscape`: a value wrapped in quotes, or without any of `` '<>&|\?*;!#\()"$` `` and
/// space before its first newline, is left alone; any other is put in double quotes with
/// `"`, `` ` ``, `$` and `\` escaped.
pub fn shell_escape(value: &str) -> String {
    if wrapped_in_quotes(value) || !has_special_char(value) {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Java's `^(".+"|'.+')$` with `.` not matching line terminators.
fn wrapped_in_quotes(value: &str) -> bool {
    let inner_ok = |inner: &str| !inner.is_empty() && !inner.contains(is_line_terminator);
    [b'"', b'\''].iter().any(|q| {
        let b = value.as_bytes();
        b.len() >= 3 && b[0] == *q && b[b.len() - 1] == *q && inner_ok(&value[1..value.len() - 1])
    })
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Java's `.*([ '<>&|\?\*;!#\\(\)"$`]).*` as a whole-string match: only a value without
/// line terminators can match.
fn has_special_char(value: &str) -> bool {
    !value.contains(is_line_terminator) && value.chars().any(|c| " '<>&|?*;!#\\()\"$`".contains(c))
}

/// Whether the shell reads `word` (as it stands in the line, unescaped) as one literal word.
fn literal_word(word: &str) -> bool {
    word.chars().all(|c| c.is_ascii_alphanumeric() || "_-.,/:=@%+".contains(c) || !c.is_ascii())
}

/// `word` as Spark escapes it, unless the shell would not read that back as the value.
fn escaped_word(what: &'static str, value: &str) -> Result<String> {
    let escaped = shell_escape(value);
    if escaped == value && !literal_word(value) {
        return Err(Error::UnsafeForShell { what, value: value.to_owned() });
    }
    Ok(escaped)
}

fn literal(what: &'static str, value: &str) -> Result<()> {
    if literal_word(value) {
        Ok(())
    } else {
        Err(Error::UnsafeForShell { what, value: value.to_owned() })
    }
}

/// `getDriverExecutorURI`: the submission's `spark.executor.uri`, else its
/// `SPARK_EXECUTOR_URI` environment variable.
fn executor_uri<'a>(driver: &'a DriverDescription, props: &'a SparkConf) -> Option<&'a str> {
    props
        .get(uris::EXECUTOR_URI)
        .or_else(|| driver.environment.get("SPARK_EXECUTOR_URI").map(String::as_str))
}

fn is_container_local_app_jar(driver: &DriverDescription, props: &SparkConf) -> Result<bool> {
    let mode = props.get_one_of(uris::APP_JAR_LOCAL_RESOLUTION_MODE, &["host", "container"])?;
    Ok(driver.app_resource.starts_with("local://") && mode == Some("container"))
}

/// `getDriverCommandValue`: `<spark-submit> <options> <app resource> <app args>`.
pub fn driver_command_value(
    driver: &DriverDescription,
    props: &SparkConf,
    conf: &LaunchConf,
) -> Result<String> {
    let (executable, sandbox) = if props.contains(EXECUTOR_DOCKER_IMAGE) {
        ("./bin/spark-submit".to_owned(), "$MESOS_SANDBOX")
    } else if let Some(uri) = executor_uri(driver, props) {
        let base = java::split_last(uri, '/')
            .and_then(|last| java::split_first(last, '.'))
            .ok_or_else(|| Error::UnsafeForShell { what: "executor uri", value: uri.to_owned() })?;
        literal("executor uri", base)?;
        let mut entries: Vec<String> =
            conf.spark.get(EXECUTOR_LIBRARY_PATH).map(str::to_owned).into_iter().collect();
        if let Some(paths) = props.get(DRIVER_LIBRARY_PATH) {
            entries.extend(paths.split(':').map(str::to_owned));
        }
        for entry in &entries {
            literal("library path", entry)?;
        }
        let prefix = if entries.is_empty() {
            String::new()
        } else {
            format!("LD_LIBRARY_PATH=\"{}:$LD_LIBRARY_PATH\"", entries.join(":"))
        };
        (format!("cd {base}*; {prefix} bin/spark-submit"), "..")
    } else {
        let home = props
            .get(EXECUTOR_HOME)
            .or_else(|| conf.spark.get("spark.home"))
            .or(conf.spark_home_env.as_deref())
            .ok_or(Error::NoExecutorHome)?;
        literal("spark home", home)?;
        (java::file(home, "./bin/spark-submit"), ".")
    };
    let options = command_options(driver, props, conf, sandbox)?;
    let primary = if is_container_local_app_jar(driver, props)? {
        let path = driver.app_resource.strip_prefix("local://").unwrap_or(&driver.app_resource);
        java::normalize(path)
    } else {
        let last = java::split_last(&driver.app_resource, '/').ok_or_else(|| {
            Error::UnsafeForShell { what: "app resource", value: driver.app_resource.clone() }
        })?;
        java::file(sandbox, last)
    };
    literal("app resource", primary.trim_start_matches("$MESOS_SANDBOX"))?;
    for arg in &driver.app_args {
        literal("app argument", arg)?;
    }
    Ok(format!("{executable} {} {primary} {}", options.join(" "), driver.app_args.join(" ")))
}

/// The `--driver-cores` word. Spark writes `Double.toString` (`1.0`), which the driver's own
/// spark-submit 3.x then refuses ("Driver cores must be a positive number": it wants an
/// `Int`), so no driver of Spark's dispatcher starts. The `mesos` scheme keeps Spark's line;
/// for our bridge the cores are rounded up to a whole number, which spark-submit takes.
fn driver_cores(cores: f64, scheme: &str) -> String {
    if scheme == "mesos" {
        return java::double_to_string(cores);
    }
    // At least 1, at most i32::MAX, as an Int.
    let whole = cores.ceil().clamp(1.0, f64::from(i32::MAX));
    format!("{}", whole as i64)
}

/// `generateCmdOption`, every word escaped.
fn command_options(
    driver: &DriverDescription,
    props: &SparkConf,
    conf: &LaunchConf,
    sandbox: &str,
) -> Result<Vec<String>> {
    let app_name = props.get("spark.app.name").unwrap_or_default();
    let master = conf.spark.get("spark.master").unwrap_or_default();
    let scheme =
        conf.spark.get_one_of(DRIVER_MASTER_SCHEME, DRIVER_MASTER_SCHEMES)?.unwrap_or("mesos");
    let mut options: Vec<(&'static str, String)> = vec![
        ("option", "--name".into()),
        ("app name", app_name.to_owned()),
        ("option", "--master".into()),
        ("master", format!("{scheme}://{master}")),
        ("option", "--driver-cores".into()),
        ("cores", driver_cores(driver.cores, scheme)),
        ("option", "--driver-memory".into()),
        ("memory", format!("{}M", driver.mem_mb)),
    ];
    if !driver.main_class.is_empty() {
        options.push(("option", "--class".into()));
        options.push(("main class", driver.main_class.clone()));
    }
    if let Some(v) = props.get("spark.executor.memory") {
        options.push(("option", "--executor-memory".into()));
        options.push(("executor memory", v.to_owned()));
    }
    if let Some(v) = props.get("spark.cores.max") {
        options.push(("option", "--total-executor-cores".into()));
        options.push(("total executor cores", v.to_owned()));
    }
    let py_files: Vec<String> = props
        .get_seq(uris::SUBMIT_PYTHON_FILES)
        .unwrap_or_default()
        .iter()
        .map(|p| java::file(sandbox, java::split_last(p, '/').unwrap_or("")))
        .collect();
    if !py_files.is_empty() {
        options.push(("option", "--py-files".into()));
        options.push(("py files", py_files.join(",")));
    }
    let mut confs: BTreeMap<String, String> = conf
        .spark
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(DRIVER_DEFAULT_PREFIX).map(|k| (k.to_owned(), v.to_owned()))
        })
        .collect();
    for (k, v) in props.iter() {
        if !NOT_REPLICATED.contains(&k) {
            confs.insert(k.to_owned(), v.to_owned());
        }
    }
    for (k, v) in confs {
        options.push(("option", "--conf".into()));
        options.push(("conf", format!("{k}={v}")));
    }
    options.into_iter().map(|(what, v)| escaped_word(what, &v)).collect()
}

/// `getDriverFrameworkID`: `<framework>-<submission>[-retry-N]`, the driver's own framework id.
pub fn driver_framework_id(framework_id: &str, driver: &DriverDescription, retries: u32) -> String {
    match retries {
        0 => format!("{framework_id}-{}", driver.submission_id),
        n => format!("{framework_id}-{}-retry-{n}", driver.submission_id),
    }
}

/// `getDriverEnvironment`: `spark.mesos.driverEnv.*` (in key order), then the
/// request's environment with `SPARK_SUBMIT_OPTS` extended by the driver's framework id (in
/// Scala `Map` order), then the driver's secret environment variables.
pub fn driver_environment(
    driver: &DriverDescription,
    props: &SparkConf,
    driver_framework_id: &str,
) -> Result<Environment> {
    // Spark walks `SparkConf.getAll`, a Scala mutable HashSet of (key, value) pairs; we take
    // key order, which is Spark's for one variable (more are listed as unsupported).
    let mut variables: Vec<environment::Variable> = props
        .iter()
        .filter_map(|(k, v)| Some(variable(k.strip_prefix(DRIVER_ENV_PREFIX)?, v)))
        .collect();
    let opts_key = "SPARK_SUBMIT_OPTS";
    let mut env: Vec<(&str, String)> =
        driver.environment.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let opt = format!(" -Dspark.mesos.driver.frameworkId={driver_framework_id}");
    match env.iter_mut().find(|(k, _)| *k == opts_key) {
        Some((_, v)) => v.push_str(&opt),
        None => env.push((opts_key, opt)),
    }
    let order = java::scala_map_order(&env.iter().map(|(k, _)| *k).collect::<Vec<_>>());
    for k in order {
        if let Some((_, v)) = env.iter().find(|(name, _)| *name == k) {
            variables.push(variable(k, v));
        }
    }
    variables.extend(secrets::get_secret_env_var(props, secrets::SecretTask::Driver)?);
    Ok(Environment { variables })
}

fn variable(name: &str, value: &str) -> environment::Variable {
    environment::Variable {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..Default::default()
    }
}

/// `buildDriverCommand`: value, environment and URIs.
pub fn build_driver_command(
    driver: &DriverDescription,
    props: &SparkConf,
    conf: &LaunchConf,
    retries: u32,
) -> Result<CommandInfo> {
    let value = driver_command_value(driver, props, conf)?;
    let fw = driver_framework_id(&conf.framework_id, driver, retries);
    let environment = driver_environment(driver, props, &fw)?;
    let env_uri = driver.environment.get("SPARK_EXECUTOR_URI").map(String::as_str);
    let uris: Vec<Uri> = uris::driver_uris(&conf.spark, props, &driver.app_resource, env_uri)?;
    Ok(CommandInfo {
        uris,
        environment: Some(environment),
        value: Some(value),
        ..CommandInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_spark_does() {
        assert_eq!(shell_escape("plain"), "plain");
        assert_eq!(shell_escape("a b"), "\"a b\"");
        assert_eq!(shell_escape("$(id)"), "\"\\$(id)\"");
        assert_eq!(shell_escape("\"quoted\""), "\"quoted\"");
        assert_eq!(shell_escape("a\n;b"), "a\n;b");
        assert_eq!(shell_escape("x`y`\\"), "\"x\\`y\\`\\\\\"");
    }

    #[test]
    fn driver_master_scheme_picks_the_backend() {
        let driver = DriverDescription {
            submission_id: crate::queue::SubmissionId::new("driver-1"),
            name: "n".into(),
            app_resource: "http://h/app.jar".into(),
            main_class: "M".into(),
            app_args: vec![],
            environment: BTreeMap::new(),
            spark_properties: BTreeMap::new(),
            mem_mb: 1408,
            cores: 1.0,
            supervise: false,
            submitted: std::time::UNIX_EPOCH,
        };
        let mut conf = LaunchConf {
            spark: [("spark.master", "m:5050"), ("spark.home", "/opt/spark")].into_iter().collect(),
            framework_id: "fw".into(),
            spark_home_env: None,
        };
        let line = |conf: &LaunchConf| driver_command_value(&driver, &SparkConf::new(), conf);
        assert!(line(&conf).expect("a line").contains(" --master mesos://m:5050 "));
        conf.spark.set(DRIVER_MASTER_SCHEME, "spark-mesos");
        let bridge = line(&conf).expect("a line");
        assert!(bridge.contains(" --master spark-mesos://m:5050 --driver-cores 1 "), "{bridge}");
        assert_eq!(driver_cores(0.3, "spark-mesos"), "1");
        assert_eq!(driver_cores(2.5, "spark-mesos"), "3");
        assert_eq!(driver_cores(1.0, "mesos"), "1.0");
        conf.spark.set(DRIVER_MASTER_SCHEME, "yarn");
        assert!(line(&conf).is_err());
    }

    #[test]
    fn unsafe_words_are_refused() {
        assert!(escaped_word("conf", "k=a b").is_ok());
        assert!(escaped_word("conf", "'$(id)'").is_err());
        assert!(escaped_word("conf", "k=a\n;rm").is_err());
        assert!(escaped_word("conf", "k={a,b}").is_err());
    }
}
