"""A PySpark job in fine-grained mode on the JVM bridge: master spark-mesos://<addr>,
spark.mesos.coarse=false, each Spark task a Mesos task our backend launches on a local Mesos
cluster. Args: master address, bridge jar, backend binary, executor Spark home, request record
file. The cluster cannot run Spark's MesosExecutorBackend (a libmesos executor), so the job must
fail with Spark's own message after its retries. Prints `appId <id>`, `backend <class>`,
`failed <first line of Spark's error>` (or `result <n>`), `stopped`."""
import sys

from pyspark.sql import SparkSession

addr, jar, binary, home, record = sys.argv[1:6]
spark = (
    SparkSession.builder.master("spark-mesos://" + addr)
    .appName("bridge-fine")
    .config("spark.mesos.coarse", "false")
    .config("spark.driver.extraClassPath", jar)
    .config("spark.mesos.rs.backend.path", binary)
    .config("spark.mesos.rs.stub.record", record)
    .config("spark.mesos.executor.home", home)
    .config("spark.executor.memory", "512m")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)
sc = spark.sparkContext
print("appId", sc.applicationId, flush=True)
print("backend", sc._jsc.sc().schedulerBackend().getClass().getName(), flush=True)
try:
    print("result", sc.parallelize(range(10), 1).count(), flush=True)
except Exception as e:  # Py4JJavaError: Spark's SparkException text follows the Java class
    text = str(e)
    line = next((l for l in text.splitlines() if "failed" in l and "times" in l), text)
    print("failed", line.strip(), flush=True)
spark.stop()
print("stopped", flush=True)
