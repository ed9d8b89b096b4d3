"""Engine tests need neither Django nor a database.

The shared helpers live in ``engine_support.py`` next to this file; the directory goes on
``sys.path`` here so that they import the same way under any pytest import mode.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
