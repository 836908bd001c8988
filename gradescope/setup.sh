#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
# The autograder zip (python -m grader.export --gradescope-zip autograder.zip)
# is unpacked into /autograder/source.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq python3 python3-pip python3-venv
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet -e "/autograder/source[green]"
