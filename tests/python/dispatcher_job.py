"""A PySpark application submitted in cluster mode to our dispatcher: it runs as the driver task
on a local Mesos cluster, and its executors are launched by our backend through the bridge
(everything else comes from the submission's conf). Prints `appId <id>`, `sum <n>`, `stopped`."""
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
sc = spark.sparkContext
print("appId", sc.applicationId, flush=True)
print("sum", sc.parallelize(range(1000), 4).map(lambda x: x * 2).sum(), flush=True)
spark.stop()
print("stopped", flush=True)
