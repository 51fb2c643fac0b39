"""A PySpark job on the JVM bridge: master spark-mesos://<addr>, executors launched by our
backend on a local Mesos cluster. Args: master address, bridge jar, backend binary, executor
Spark home, executor python. Prints `appId <id>`, `sum <n>`, `stopped`."""
import sys

from pyspark.sql import SparkSession

addr, jar, binary, home, python = sys.argv[1:6]
spark = (
    SparkSession.builder.master("spark-mesos://" + addr)
    .appName("bridge-e2e")
    .config("spark.driver.extraClassPath", jar)
    .config("spark.mesos.rs.backend.path", binary)
    .config("spark.mesos.executor.home", home)
    .config("spark.executorEnv.PYSPARK_PYTHON", python)
    .config("spark.cores.max", "2")
    .config("spark.executor.cores", "1")
    .config("spark.executor.memory", "512m")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)
sc = spark.sparkContext
print("appId", sc.applicationId, flush=True)
print("sum", sc.parallelize(range(1000), 4).map(lambda x: x * 2).sum(), flush=True)
spark.stop()
print("stopped", flush=True)
