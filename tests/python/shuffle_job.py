"""A real Spark job whose shuffle must flow through the external shuffle service.

Usage: python shuffle_job.py SERVICE_PORT RECORDS

Runs on a local-cluster master (separate executor JVMs), with the external shuffle service
enabled on SERVICE_PORT and host-local disk reads off, so every remote shuffle block is
fetched from the service. Prints one JSON line with the job's answer.
"""

import json
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> None:
    port, records = int(sys.argv[1]), int(sys.argv[2])
    spark = (
        SparkSession.builder.master("local-cluster[2,1,1024]")
        .appName("shuffle-service-interop")
        .config("spark.shuffle.service.enabled", "true")
        .config("spark.shuffle.service.port", str(port))
        .config("spark.shuffle.readHostLocalDisk", "false")
        .config("spark.sql.shuffle.partitions", "50")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.shuffle.io.maxRetries", "0")
        .config("spark.executor.memory", "512m")
        .getOrCreate()
    )
    df = spark.range(0, records, 1, 16).withColumn("key", F.col("id") % 1000)
    rows = df.groupBy("key").agg(F.count("*").alias("n"), F.sum("id").alias("s")).collect()
    result = {
        "groups": len(rows),
        "records": sum(r["n"] for r in rows),
        "sum": sum(r["s"] for r in rows),
        "min_group": min(r["n"] for r in rows),
        "max_group": max(r["n"] for r in rows),
    }
    spark.stop()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
