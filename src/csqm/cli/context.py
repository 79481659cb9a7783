"""Shared CLI state: settings and the store, opened lazily and closed at exit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from csqm.settings import Settings
from csqm.store import Store, open_store


@dataclass
class AppContext:
    store_url: str | None = None
    data_dir: Path | None = None
    debug: bool = False
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        return Settings.from_env(store_url=self.store_url, data_dir=self.data_dir)

    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(settings=self.settings)
            click.get_current_context().call_on_close(self._store.close)
        return self._store


pass_app = click.make_pass_decorator(AppContext)
