"""The suite checks English text unless a test asks for a language: on a machine whose LANG is
zh_CN the engine's errors, the CLI and the Stepper would otherwise speak Chinese to every test.
Set here, before any test runs, so subprocesses (the CLI, notebook kernels) inherit it too."""
import os

os.environ["STEPGRAD_LANG"] = "en"
