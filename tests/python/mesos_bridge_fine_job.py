"""A PySpark job in fine-grained mode on the JVM bridge: master spark-mesos://<addr>,
spark.mesos.coarse=false, each Spark task a Mesos task our backend launches on a local Mesos
cluster. Args: master address, bridge jar, backend binary, executor Spark home, request record
file. The cluster cannot run Spark's MesosExecutorBackend (a libmesos executor): it refuses each task,
Spark retries it, and the job is cancelled once Spark has seen 4 failed attempts. Prints
`appId <id>`, `backend <class>`, `failedAttempts <n>`, `failed <Spark's error line>` (or
`result <n>`), `stopped`."""
import sys
import threading
import time

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

# Spark does not count a task lost before it ran (TaskSetManager.executorLost: a launching
# task's loss is not the app's fault), so it retries such a task forever; once its own status
# store has seen enough failed attempts, the job is cancelled.
outcome = {}


def job():
    try:
        outcome["result"] = sc.parallelize(range(10), 1).count()
    except Exception as e:  # Py4JJavaError: Spark's SparkException text follows
        outcome["error"] = str(e)


runner = threading.Thread(target=job)
runner.start()
failed_attempts = 0
deadline = time.time() + 60
while runner.is_alive() and time.time() < deadline:
    stage = sc.statusTracker().getStageInfo(0)
    failed_attempts = stage.numFailedTasks if stage else 0
    if failed_attempts >= 4:
        break
    time.sleep(0.05)
print("failedAttempts", failed_attempts, flush=True)
sc.cancelAllJobs()
runner.join()
if "result" in outcome:
    print("result", outcome["result"], flush=True)
else:
    text = outcome.get("error", "")
    line = next((l for l in text.splitlines() if "cancelled" in l), text)
    print("failed", line.strip(), flush=True)
spark.stop()
print("stopped", flush=True)
