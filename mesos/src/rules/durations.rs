//! How long declined offers stay refused (`Filters.refuse_seconds`), in seconds:
//! `getRejectOfferDuration` and its two variants, which fall back to it.

use super::conf::{SparkConf, TimeUnit};
use crate::Result;

/// `spark.mesos.rejectOfferDuration` (`timeConf(SECONDS)`, default 120s).
pub const REJECT_OFFER_DURATION: &str = "spark.mesos.rejectOfferDuration";
/// `spark.mesos.rejectOfferDurationForUnmetConstraints` (falls back to the above).
pub const REJECT_OFFER_DURATION_FOR_UNMET_CONSTRAINTS: &str =
    "spark.mesos.rejectOfferDurationForUnmetConstraints";
/// `spark.mesos.rejectOfferDurationForReachedMaxCores` (falls back to the above).
pub const REJECT_OFFER_DURATION_FOR_REACHED_MAX_CORES: &str =
    "spark.mesos.rejectOfferDurationForReachedMaxCores";
/// The default of [`REJECT_OFFER_DURATION`], in seconds.
pub const DEFAULT_REJECT_OFFER_SECONDS: i64 = 120;

/// `getRejectOfferDuration`: seconds (bare numbers are seconds; negative values pass through
/// as Spark passes them).
pub fn reject_offer_duration(conf: &SparkConf) -> Result<i64> {
    Ok(conf
        .get_time(REJECT_OFFER_DURATION, TimeUnit::Seconds)?
        .unwrap_or(DEFAULT_REJECT_OFFER_SECONDS))
}

/// `getRejectOfferDurationForUnmetConstraints`: for offers failing `spark.mesos.constraints`.
pub fn reject_offer_duration_for_unmet_constraints(conf: &SparkConf) -> Result<i64> {
    variant(conf, REJECT_OFFER_DURATION_FOR_UNMET_CONSTRAINTS)
}

/// `getRejectOfferDurationForReachedMaxCores`: for offers left once `spark.cores.max` is
/// reached.
pub fn reject_offer_duration_for_reached_max_cores(conf: &SparkConf) -> Result<i64> {
    variant(conf, REJECT_OFFER_DURATION_FOR_REACHED_MAX_CORES)
}

/// A set variant wins without the fallback being read, so a malformed fallback only matters
/// when the variant is unset.
fn variant(conf: &SparkConf, key: &str) -> Result<i64> {
    match conf.get_time(key, TimeUnit::Seconds)? {
        Some(seconds) => Ok(seconds),
        None => reject_offer_duration(conf),
    }
}
