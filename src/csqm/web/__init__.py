"""The REST API (``/api/v1``): build it with :func:`create_app` and serve it with ``csqm serve``.

The web layer is thin: routers call the service functions in :mod:`csqm.web.services`,
:mod:`csqm.web.conversations` and :mod:`csqm.web.auth`, which know nothing of HTTP and apply each
user's scope.
"""

from __future__ import annotations

from csqm.web.app import create_app
from csqm.web.auth import Principal, create_user, create_user_with_token, issue_token, revoke_tokens

__all__ = ["Principal", "create_app", "create_user", "create_user_with_token", "issue_token", "revoke_tokens"]
