"""Loading an example script as a module, for the tests that call its functions."""
import importlib.util
import os
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def load_example(name):
    """examples/<name>.py as a module (its ``main`` not run), with examples/ importable as it is
    when a script runs."""
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
