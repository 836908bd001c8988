import subprocess
import sys

MARKER = "grader-selftest-escapee"


def work():
    # A grandchild in a session of its own: killing the test's process group misses it.
    subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(300)  # {MARKER}"],
                     start_new_session=True)
    return 1
