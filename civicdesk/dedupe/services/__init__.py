"""Writes of duplicates, one module per area; everything is importable from here:
`from civicdesk.dedupe import services; services.merge(...)`. Each module lists what it offers
in its `__all__`."""

from .merging import *  # noqa: F403
from .merging import __all__ as _merging
from .review import *  # noqa: F403
from .review import __all__ as _review
from .scanning import *  # noqa: F403
from .scanning import __all__ as _scanning
from .warning import *  # noqa: F403
from .warning import __all__ as _warning

__all__ = [*_merging, *_review, *_scanning, *_warning]
