//! URIs the Mesos fetcher downloads into the sandbox (`spark.mesos.uris`), and whether it caches
//! them (`spark.mesos.fetcherCache.enable`): Spark's `setupUris`.

use super::conf::SparkConf;
use super::java;
use crate::proto::command_info::Uri;
use crate::Result;

/// `spark.mesos.uris`: comma-separated URIs for every driver and executor (default none).
pub const URIS_TO_DOWNLOAD: &str = "spark.mesos.uris";
/// `spark.mesos.fetcherCache.enable`: let the fetcher cache every URI (default false).
pub const ENABLE_FETCHER_CACHE: &str = "spark.mesos.fetcherCache.enable";

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
