"""Generated datasets shared by the generator tests (generated once per session, kept small)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csqm.generate import GenerationSummary, generate
from tests.generate.signals import Identities, load

#: The main test dataset: big enough for the planted signals to be measured, still ~1 s to generate.
N_MAIN = 8000


@pytest.fixture(scope="session")
def main_run(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    return generate(tmp_path_factory.mktemp("zh"), interactions=N_MAIN, seed=7)


@pytest.fixture(scope="session")
def zh(main_run: GenerationSummary) -> dict[str, pd.DataFrame]:
    return load(main_run.out_dir)


@pytest.fixture(scope="session")
def ids(zh: dict[str, pd.DataFrame]) -> Identities:
    return Identities(zh)


@pytest.fixture(scope="session")
def en_run(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    return generate(tmp_path_factory.mktemp("en"), interactions=3000, seed=11, lang="en")


@pytest.fixture(scope="session")
def en(en_run: GenerationSummary) -> dict[str, pd.DataFrame]:
    return load(en_run.out_dir)


def files_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
