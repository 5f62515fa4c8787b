"""Fixtures shared by the whole suite: the real catalogue, loaded once, and what is built from it."""

from __future__ import annotations

import pytest

from bot.catalogue import Catalogue, load_catalogue
from bot.markup import HTML, PLAIN
from bot.search import Searcher
from bot.views import Views


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def searcher(catalogue: Catalogue) -> Searcher:
    return Searcher(catalogue)


@pytest.fixture(scope="session")
def views(catalogue: Catalogue, searcher: Searcher) -> Views:
    return Views(catalogue, searcher, HTML)


@pytest.fixture(scope="session")
def plain_views(catalogue: Catalogue, searcher: Searcher) -> Views:
    return Views(catalogue, searcher, PLAIN)
