"""Writes of casework, one module per area; everything is importable from here:
`from civicdesk.casework import services; services.open_case(...)`. Each module lists what it
offers in its `__all__`."""

from .cases import *  # noqa: F403
from .cases import __all__ as _cases
from .config import *  # noqa: F403
from .config import __all__ as _config
from .documents import *  # noqa: F403
from .documents import __all__ as _documents
from .emails import *  # noqa: F403
from .emails import __all__ as _emails
from .letters import *  # noqa: F403
from .letters import __all__ as _letters
from .links import *  # noqa: F403
from .links import __all__ as _links
from .releases import *  # noqa: F403
from .releases import __all__ as _releases

__all__ = [*_cases, *_config, *_documents, *_emails, *_letters, *_links, *_releases]
