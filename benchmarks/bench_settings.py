"""The production settings, with the collected static files in a directory of the benchmarks.

Debug off means hashed static file names from a manifest (``collectstatic``): the benchmarks collect
them into ``benchmarks/out/static`` instead of the project's ``staticfiles/``.
"""

import os
from pathlib import Path

from cobrowse_admin.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", Path(__file__).resolve().parent / "out" / "static"))
