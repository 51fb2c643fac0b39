"""A supervised driver for the dispatcher test: its first attempt exits with status 3, so the
dispatcher relaunches it (task id `<submission>-retry-1`); the relaunch sleeps until killed."""
import os
import sys
import time

if "-retry-" not in os.environ.get("MESOS_TASK_ID", ""):
    sys.exit(3)
print("relaunched", os.environ.get("MESOS_TASK_ID"), flush=True)
time.sleep(600)
