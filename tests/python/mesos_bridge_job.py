"""A PySpark job on the JVM bridge: master spark-mesos://<addr>, executors launched by our
backend on a local Mesos cluster. Args: master address, bridge jar, backend binary, executor
Spark home, executor python, a file the backend records the driver's requests in. Prints
`version <sc.version>`, `appId <id>`, `sum <n>`, `kill <executor id> <true|false>` (one
executor killed through the backend after the sum), `stopped`. Runs unchanged on PySpark 3.5
and 4.0."""
import sys

from pyspark.sql import SparkSession

addr, jar, binary, home, python, record = sys.argv[1:7]
spark = (
    SparkSession.builder.master("spark-mesos://" + addr)
    .appName("bridge-e2e")
    .config("spark.driver.extraClassPath", jar)
    .config("spark.mesos.rs.backend.path", binary)
    .config("spark.mesos.rs.stub.record", record)
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
print("version", sc.version, flush=True)
print("appId", sc.applicationId, flush=True)
print("sum", sc.parallelize(range(1000), 4).map(lambda x: x * 2).sum(), flush=True)
# Through the backend's doKillExecutors, whose Seq type differs between Scala 2.12 and 2.13.
jsc = sc._jsc.sc()
victim = jsc.getExecutorIds().head()
print("kill", victim, str(jsc.killExecutor(victim)).lower(), flush=True)
spark.stop()
print("stopped", flush=True)
