"""A PySpark driver on our Mesos backend (master spark-mesos://ADDR) with the agents' external
shuffle services, driven by the test line by line.

Args: mode (static | dynamic), master address, bridge jar, backend binary, executor Spark
home, executor python, local dir, shuffle service port.

Prints `version <sc.version>`, `appId <id>` and `answer <sum> <keys>` (a job with a shuffle),
then obeys stdin:
  slow   -> `slow started`, a job of sleeping tasks, `slow <sum>`
  final  -> the shuffle job on fresh data, `answer <sum> <keys>`
  stop   -> spark.stop(), `stopped`
dynamic mode, after the first answer: waits for every executor to go idle and be removed
(`idle <executors>`), then reads the first job's shuffle again (`reread <sum> <keys>`, the map
stage skipped, its files served by the services), before obeying stdin.
"""
import sys
import time
from operator import add

from pyspark.sql import SparkSession

mode, addr, jar, binary, home, python, local_dir, port = sys.argv[1:9]
RECORDS = 200_000
KEYS = 100

builder = (
    SparkSession.builder.master("spark-mesos://" + addr)
    .appName("mesos-e2e-" + mode)
    .config("spark.driver.extraClassPath", jar)
    .config("spark.mesos.rs.backend.path", binary)
    .config("spark.mesos.executor.home", home)
    .config("spark.executorEnv.PYSPARK_PYTHON", python)
    .config("spark.cores.max", "3")
    .config("spark.executor.cores", "1")
    .config("spark.executor.memory", "512m")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.local.dir", local_dir)
    .config("spark.shuffle.service.enabled", "true")
    .config("spark.shuffle.service.port", port)
    # Small, so the services expire the application soon after the driver stops.
    .config("spark.executor.heartbeatInterval", "1s")
    .config("spark.storage.blockManagerHeartbeatTimeoutMs", "10000")
    .config("spark.network.timeoutInterval", "5s")
    .config("spark.task.maxFailures", "10")
)
if mode == "static":
    builder = (
        builder.config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
        .config("spark.scheduler.maxRegisteredResourcesWaitingTime", "180s")
    )
else:
    builder = (
        builder.config("spark.dynamicAllocation.enabled", "true")
        .config("spark.dynamicAllocation.minExecutors", "0")
        .config("spark.dynamicAllocation.initialExecutors", "0")
        .config("spark.dynamicAllocation.maxExecutors", "3")
        .config("spark.dynamicAllocation.executorIdleTimeout", "3s")
        .config("spark.dynamicAllocation.schedulerBacklogTimeout", "1s")
        .config("spark.dynamicAllocation.sustainedSchedulerBacklogTimeout", "1s")
    )
spark = builder.getOrCreate()
sc = spark.sparkContext
# The bridge's executor events are INFO lines; the test looks for the failures among them.
log4j = sc._jvm.org.apache.logging.log4j
log4j.core.config.Configurator.setLevel("org.sparkonmesos", log4j.Level.INFO)
print("version", sc.version, flush=True)
print("appId", sc.applicationId, flush=True)


def executors():
    """Executors registered with the driver (the driver's own block manager left out)."""
    return sc._jsc.sc().getExecutorMemoryStatus().size() - 1


def answer(rdd):
    rows = rdd.collect()
    return "%d %d" % (sum(v for _, v in rows), len(rows))


pairs = sc.parallelize(range(RECORDS), 12).map(lambda x: (x % KEYS, x)).reduceByKey(add, 6)
print("answer", answer(pairs), flush=True)

if mode == "dynamic":
    deadline = time.time() + 120
    while executors() > 0 and time.time() < deadline:
        time.sleep(0.5)
    print("idle", executors(), flush=True)
    print("reread", answer(pairs), flush=True)


def slow(x):
    time.sleep(1.0)
    return (x % 6, x)


for line in sys.stdin:
    command = line.strip()
    if command == "slow":
        print("slow started", flush=True)
        rows = sc.parallelize(range(24), 24).map(slow).reduceByKey(add).collect()
        print("slow", sum(v for _, v in rows), flush=True)
    elif command == "final":
        fresh = sc.parallelize(range(RECORDS), 12).map(lambda x: (x % KEYS, x))
        print("answer", answer(fresh.reduceByKey(add, 6)), flush=True)
    elif command == "stop":
        break
spark.stop()
print("stopped", flush=True)
