"""python -m profiling: the profiling suite (see profiling.suite)."""

import sys

from profiling.suite import main

sys.exit(main())
