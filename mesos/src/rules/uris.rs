//! URIs the Mesos fetcher downloads into the sandbox (`spark.mesos.uris`), and whether it caches
//! them (`spark.mesos.fetcherCache.enable`): Spark's `setupUris`, and the dispatcher's
//! `getDriverUris` for submitted drivers.

use super::conf::SparkConf;
use super::java;
use crate::proto::command_info::Uri;
use crate::Result;

/// `spark.mesos.uris`: comma-separated URIs for every driver and executor (default none).
pub const URIS_TO_DOWNLOAD: &str = "spark.mesos.uris";
/// `spark.mesos.fetcherCache.enable`: let the fetcher cache every URI (default false).
pub const ENABLE_FETCHER_CACHE: &str = "spark.mesos.fetcherCache.enable";
/// `spark.executor.uri`: a Spark distribution the fetcher downloads for drivers and executors.
pub const EXECUTOR_URI: &str = "spark.executor.uri";
/// `spark.submit.pyFiles`: Python files of the application, fetched for the driver.
pub const SUBMIT_PYTHON_FILES: &str = "spark.submit.pyFiles";
/// `spark.mesos.appJar.local.resolution.mode`: `host` (default) fetches a `local://` app jar
/// from the agent, `container` uses it in place inside the container.
pub const APP_JAR_LOCAL_RESOLUTION_MODE: &str = "spark.mesos.appJar.local.resolution.mode";

/// `spark.mesos.fetcherCache.enable`, false when unset.
pub fn use_fetcher_cache(conf: &SparkConf) -> Result<bool> {
    Ok(conf.get_bool(ENABLE_FETCHER_CACHE)?.unwrap_or(false))
}

/// One fetcher URI as Spark adds it: the value trimmed, `cache` always set, `extract` and
/// `executable` left to Mesos's defaults.
pub fn uri(value: &str, cache: bool) -> Uri {
    Uri { value: java::trim(value).to_owned(), cache: Some(cache), ..Uri::default() }
}

/// `setupUris(conf.get(URIS_TO_DOWNLOAD), builder, useFetcherCache)`: the URIs of
/// `spark.mesos.uris` in order, each with the fetcher-cache flag.
pub fn setup_uris(conf: &SparkConf) -> Result<Vec<Uri>> {
    let cache = use_fetcher_cache(conf)?;
    Ok(conf.get_seq(URIS_TO_DOWNLOAD).unwrap_or_default().iter().map(|u| uri(u, cache)).collect())
}

const RESOLUTION_MODES: &[&str] = &["host", "container"];

/// The dispatcher's `getDriverUris(desc)`: what the fetcher downloads for a submitted driver.
///
/// `dispatcher` is the dispatcher's own conf, `properties` the submission's, `jar_url` its app
/// resource and `env_executor_uri` its `SPARK_EXECUTOR_URI` environment variable. The URIs are
/// the dispatcher's `spark.mesos.uris`, the submission's `spark.mesos.uris` and
/// `spark.submit.pyFiles`, preceded by the app jar (with a `file:` or `local:` prefix cut off)
/// unless the jar is `local://` and the resolution mode is `container`, and followed by the
/// executor URI (`spark.executor.uri`, else the environment variable). The fetcher cache is on
/// if either conf enables it. The resolution mode is validated even for remote jars, as in Spark.
pub fn driver_uris(
    dispatcher: &SparkConf,
    properties: &SparkConf,
    jar_url: &str,
    env_executor_uri: Option<&str>,
) -> Result<Vec<Uri>> {
    let cache = use_fetcher_cache(properties)? || use_fetcher_cache(dispatcher)?;
    let mut values: Vec<String> = Vec::new();
    let mode = properties.get_one_of(APP_JAR_LOCAL_RESOLUTION_MODE, RESOLUTION_MODES)?;
    if !(jar_url.starts_with("local://") && mode == Some("container")) {
        let jar = jar_url.strip_prefix("file:").unwrap_or(jar_url);
        values.push(jar.strip_prefix("local:").unwrap_or(jar).to_owned());
    }
    for (conf, key) in [
        (dispatcher, URIS_TO_DOWNLOAD),
        (properties, URIS_TO_DOWNLOAD),
        (properties, SUBMIT_PYTHON_FILES),
    ] {
        values.extend(conf.get_seq(key).unwrap_or_default());
    }
    values.extend(properties.get(EXECUTOR_URI).or(env_executor_uri).map(str::to_owned));
    Ok(values.iter().map(|v| uri(v, cache)).collect())
}
