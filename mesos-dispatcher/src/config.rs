//! The command line and configuration of Spark 3.5.6's `MesosClusterDispatcher`
//! (`MesosClusterDispatcherArguments`), and the `spark.mesos.*` keys the queue obeys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::queue::QueueConfig;

/// Spark's usage text, with a note on what this build does not do yet.
pub const USAGE: &str = "Usage: MesosClusterDispatcher [options]

Options:
  -h HOST, --host HOST    Hostname to listen on
  --help                  Show this help message and exit.
  --verbose,              Print additional debug output.
  -p PORT, --port PORT    Port to listen on (default: 7077)
  --webui-port WEBUI_PORT WebUI Port to listen on (default: 8081)
  --name NAME             Framework name to show in Mesos UI
  -m --master MASTER      URI for connecting to Mesos master
  -z --zk ZOOKEEPER       Comma delimited URLs for connecting to 
                          Zookeeper for persistence
  --properties-file FILE  Path to a custom Spark properties file.
                          Default is conf/spark-defaults.conf 
  --conf PROP=VALUE       Arbitrary Spark configuration property.
                          Takes precedence over defined properties in properties-file.

This build serves the REST submission API (v1) on --port once it has registered with the
Mesos master, and launches the submitted drivers there. The web UI and Prometheus metrics
(/metrics) are on --webui-port. Its queue lives in memory: ZooKeeper persistence (--zk) is
not built yet.
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the dispatcher.
    Run(DispatcherConfig),
    /// Print [`USAGE`] and exit with 0.
    Help,
}

/// The dispatcher's settings: flags, then properties file and `--conf` in `conf`.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatcherConfig {
    /// `--host`: the address the REST server binds.
    pub host: String,
    /// `--port` (7077): the REST port.
    pub port: u16,
    /// `--webui-port` (8081): the web UI's port (drivers pages and `/metrics`).
    pub webui_port: u16,
    /// `--master` without its `mesos://` prefix, as Spark keeps it in `spark.master`.
    pub master: String,
    /// `--zk`: ZooKeeper URLs; sets `spark.deploy.recoveryMode=ZOOKEEPER`.
    pub zk: Option<String>,
    /// `--name` ("Spark Cluster"): the framework name.
    pub name: String,
    /// `--properties-file`, or the default `spark-defaults.conf` when it exists.
    pub properties_file: Option<PathBuf>,
    /// `--verbose`.
    pub verbose: bool,
    /// The Spark configuration: the properties file's `spark.*` keys overlaid by `--conf`,
    /// plus `spark.master`, `spark.app.name` and the ZooKeeper keys as Spark sets them.
    pub conf: BTreeMap<String, String>,
}

impl DispatcherConfig {
    /// The queue settings: `spark.mesos.maxDrivers`, `spark.mesos.retainedDrivers`,
    /// `spark.mesos.dispatcher.queue.<name>`.
    pub fn queue_config(&self) -> Result<QueueConfig> {
        let mut config = QueueConfig::default();
        if let Some(v) = self.conf.get("spark.mesos.maxDrivers") {
            config.max_drivers = parse_count("spark.mesos.maxDrivers", v)?;
        }
        if let Some(v) = self.conf.get("spark.mesos.retainedDrivers") {
            config.retained_drivers = parse_count("spark.mesos.retainedDrivers", v)?;
        }
        for (key, value) in &self.conf {
            if let Some(name) = key.strip_prefix("spark.mesos.dispatcher.queue.") {
                let priority =
                    value.trim().parse::<f32>().ok().filter(|p| p.is_finite()).ok_or_else(
                        || Error::BadConfValue {
                            key: key.clone(),
                            expected: "a number",
                            value: value.clone(),
                        },
                    )?;
                config.queues.insert(name.to_owned(), priority);
            }
        }
        Ok(config)
    }
}

fn parse_count(key: &str, value: &str) -> Result<usize> {
    // Spark reads these with getInt: a negative value refuses every submission, like 0.
    match value.trim().parse::<i64>() {
        Ok(n) => Ok(usize::try_from(n.max(0)).unwrap_or(usize::MAX)),
        Err(_) => Err(Error::BadConfValue {
            key: key.to_owned(),
            expected: "an integer",
            value: value.to_owned(),
        }),
    }
}

/// Parses the arguments (without the program name) as `MesosClusterDispatcherArguments`
/// does; `env` reads environment variables (`SPARK_LOCAL_HOSTNAME`, `SPARK_LOCAL_IP`,
/// `SPARK_CONF_DIR`, `SPARK_HOME`).
pub fn parse_args<I>(args: I, env: &dyn Fn(&str) -> Option<String>) -> Result<Command>
where
    I: IntoIterator<Item = String>,
{
    let mut host = env("SPARK_LOCAL_HOSTNAME")
        .or_else(|| env("SPARK_LOCAL_IP"))
        .unwrap_or_else(|| "0.0.0.0".into());
    let mut port = 7077;
    let mut webui_port = 8081;
    let mut master = None;
    let mut zk = None;
    let mut name = "Spark Cluster".to_owned();
    let mut properties_file = None;
    let mut verbose = false;
    let mut overrides = Vec::new();

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| Error::MissingValue { option: arg.clone() });
        match arg.as_str() {
            "--host" | "-h" => host = value()?,
            "--port" | "-p" => port = parse_port(&arg, value()?)?,
            "--webui-port" => webui_port = parse_port(&arg, value()?)?,
            "--zk" | "-z" => zk = Some(value()?),
            "--master" | "-m" => {
                let v = value()?;
                let Some(stripped) = v.strip_prefix("mesos://") else {
                    return Err(Error::NotMesosMaster { master: v });
                };
                master = Some(stripped.to_owned());
            }
            "--name" => name = value()?,
            "--properties-file" => properties_file = Some(PathBuf::from(value()?)),
            "--conf" => {
                let pair = value()?;
                let Some((k, v)) = pair.split_once('=') else {
                    return Err(Error::ConfWithoutEquals { pair });
                };
                overrides.push((k.to_owned(), v.to_owned()));
            }
            "--help" => return Ok(Command::Help),
            "--verbose" => verbose = true,
            _ => return Err(Error::UnknownOption { option: arg }),
        }
    }
    let master = master.ok_or(Error::MissingMaster)?;

    let properties_file = properties_file.or_else(|| default_properties_file(env));
    let mut conf = BTreeMap::new();
    if let Some(path) = &properties_file {
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::PropertiesFile { path: path.clone(), source })?;
        for (k, v) in parse_properties(&text) {
            if k.starts_with("spark.") {
                conf.insert(k, v.trim().to_owned());
            }
        }
    }
    conf.extend(overrides);
    // MesosClusterDispatcher: conf.setMaster(...), conf.setAppName(name), and ZooKeeper
    // recovery when --zk is given.
    conf.insert("spark.master".into(), master.clone());
    conf.insert("spark.app.name".into(), name.clone());
    if let Some(zk) = &zk {
        conf.insert("spark.deploy.recoveryMode".into(), "ZOOKEEPER".into());
        conf.insert("spark.deploy.zookeeper.url".into(), zk.clone());
    }
    Ok(Command::Run(DispatcherConfig {
        host,
        port,
        webui_port,
        master,
        zk,
        name,
        properties_file,
        verbose,
        conf,
    }))
}

fn parse_port(option: &str, value: String) -> Result<u16> {
    value.parse().map_err(|_| Error::BadPort { option: option.to_owned(), value })
}

/// Spark's default properties file: `$SPARK_CONF_DIR/spark-defaults.conf`, else
/// `$SPARK_HOME/conf/spark-defaults.conf`, if the file exists.
fn default_properties_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let dir = env("SPARK_CONF_DIR")
        .map(PathBuf::from)
        .or_else(|| env("SPARK_HOME").map(|home| Path::new(&home).join("conf")))?;
    let file = dir.join("spark-defaults.conf");
    file.is_file().then_some(file)
}

/// A `java.util.Properties` text: `#`/`!` comments, `key=value`, `key: value` or
/// `key value`, backslash line continuations and escapes (`\t`, `\n`, `\r`, `\f`, `\uXXXX`).
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        let mut logical = first.trim_start().to_owned();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some(next) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let chars: Vec<char> = logical.chars().collect();
        let mut i = 0;
        let mut key = String::new();
        while i < chars.len() {
            match chars[i] {
                '\\' if i + 1 < chars.len() => {
                    key.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                '=' | ':' | ' ' | '\t' | '\u{c}' => break,
                c => key.push(c),
            }
            i += 1;
        }
        while i < chars.len() && matches!(chars[i], ' ' | '\t' | '\u{c}') {
            i += 1;
        }
        if i < chars.len() && matches!(chars[i], '=' | ':') {
            i += 1;
        }
        while i < chars.len() && matches!(chars[i], ' ' | '\t' | '\u{c}') {
            i += 1;
        }
        let raw: String = chars[i..].iter().collect();
        out.push((unescape(&key), unescape(&raw)));
    }
    out
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(c) => out.push(c),
                    None => out.push_str(&hex),
                }
            }
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn defaults_and_flags() {
        let Command::Run(c) =
            parse_args(args(&["--master", "mesos://m:5050"]), &no_env).expect("must succeed")
        else {
            panic!()
        };
        assert_eq!(
            (c.port, c.webui_port, c.name.as_str(), c.master.as_str()),
            (7077, 8081, "Spark Cluster", "m:5050")
        );
        assert_eq!(c.conf.get("spark.master").map(String::as_str), Some("m:5050"));
        let Command::Run(c) = parse_args(
            args(&[
                "-m",
                "mesos://zk://z:2181/mesos",
                "-p",
                "1",
                "--webui-port",
                "2",
                "-h",
                "127.0.0.9",
                "--name",
                "n",
                "--zk",
                "z:2181",
                "--conf",
                "spark.mesos.maxDrivers=3=x",
                "--verbose",
            ]),
            &no_env,
        )
        .expect("must succeed") else {
            panic!()
        };
        assert_eq!((c.port, c.webui_port, c.host.as_str(), c.verbose), (1, 2, "127.0.0.9", true));
        assert_eq!(c.conf.get("spark.mesos.maxDrivers").map(String::as_str), Some("3=x"));
        assert_eq!(c.conf.get("spark.deploy.recoveryMode").map(String::as_str), Some("ZOOKEEPER"));
    }

    #[test]
    fn errors_as_spark() {
        assert!(matches!(parse_args(args(&[]), &no_env), Err(Error::MissingMaster)));
        assert!(matches!(
            parse_args(args(&["--master", "m:5050"]), &no_env),
            Err(Error::NotMesosMaster { .. })
        ));
        assert!(matches!(
            parse_args(args(&["--bogus"]), &no_env),
            Err(Error::UnknownOption { .. })
        ));
        assert!(matches!(
            parse_args(args(&["--conf", "x"]), &no_env),
            Err(Error::ConfWithoutEquals { .. })
        ));
        assert!(matches!(parse_args(args(&["--port"]), &no_env), Err(Error::MissingValue { .. })));
        assert_eq!(parse_args(args(&["--help"]), &no_env).expect("must succeed"), Command::Help);
    }

    #[test]
    fn properties_file_and_conf_precedence() {
        let dir = tempfile::tempdir().expect("must succeed");
        let file = dir.path().join("p.conf");
        std::fs::write(
            &file,
            "# comment\nspark.mesos.maxDrivers 5\nspark.mesos.dispatcher.queue.high=2\\\n  .5\nother=1\n\
             spark.mesos.retainedDrivers : 7  \n",
        )
        .expect("must succeed");
        let path = file.to_string_lossy().into_owned();
        let Command::Run(c) = parse_args(
            args(&[
                "--master",
                "mesos://m:1",
                "--properties-file",
                &path,
                "--conf",
                "spark.mesos.maxDrivers=9",
            ]),
            &no_env,
        )
        .expect("must succeed") else {
            panic!()
        };
        assert!(!c.conf.contains_key("other"));
        let q = c.queue_config().expect("must succeed");
        assert_eq!((q.max_drivers, q.retained_drivers), (9, 7));
        assert_eq!(q.queues.get("high"), Some(&2.5));
    }
}
