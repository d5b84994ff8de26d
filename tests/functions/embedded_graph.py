"""The embedded openCypher engine the function tests and benchmarks run queries on.

FalkorDBLite (``falkordblite``: a private redis-server with the FalkorDB module, started
on a unix socket in a temporary directory) runs the SAME query constants the Lambda
sends to Neptune: :class:`EmbeddedExecutor` implements the repository's
``CypherExecutor`` protocol over it.

Differences from Neptune, all confined to this class (the query texts are unchanged):

- result rows: FalkorDB returns a header and positional rows; they are turned into the
  ``{column: value}`` dicts that ``neptunedata``'s ``results`` holds;
- parameters: passed as a dict, which the FalkorDB client sends as a ``CYPHER k=v``
  prefix it quotes itself, where ``neptunedata`` sends ``json.dumps(parameters)``; the
  values are the same JSON types either way (this class round-trips them through JSON
  to prove it);
- indexes: Neptune indexes every property by itself; FalkorDB needs explicit ones, so
  :meth:`EmbeddedExecutor.create_indexes` adds them for the lookups the queries make
  (ids, handles);
- one process, no reader replica: ``read`` and ``write`` reach the same graph, so the
  tests see no replica lag (``read`` uses FalkorDB's read-only query, so a write query
  sent to the reader fails here as it would on a Neptune reader).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from redis.exceptions import ResponseError
from redislite.falkordb_client import FalkorDB  # type: ignore[import-untyped]

#: The properties the named queries look nodes up by.
INDEXES = (("User", "id"), ("User", "handle"), ("Post", "id"), ("Comment", "id"))


class EmbeddedServer:
    """One embedded engine per test session; graphs are cheap, servers are not."""

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="falkordblite-")
        self.db = FalkorDB(str(Path(self._directory.name) / "graph.db"))

    def graph(self, name: str) -> EmbeddedExecutor:
        return EmbeddedExecutor(self.db.select_graph(name))

    def close(self) -> None:
        self.db.close()
        self._directory.cleanup()


class EmbeddedExecutor:
    """A ``CypherExecutor`` over one FalkorDB graph; records every call for assertions."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def read(self, query: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self._run("reader", query, parameters)

    def write(self, query: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self._run("writer", query, parameters)

    def create_indexes(self) -> None:
        for label, prop in INDEXES:
            self.graph.query(f"CREATE INDEX FOR (n:{label}) ON (n.{prop})")

    def writes(self) -> list[tuple[str, dict[str, Any]]]:
        return [(query, parameters) for role, query, parameters in self.calls if role == "writer"]

    def delete(self) -> None:
        try:
            self.graph.delete()
        except ResponseError as error:
            if "empty key" not in str(error):  # never written to: nothing to delete
                raise

    def _run(self, role: str, query: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        sent = json.loads(json.dumps(dict(parameters)))
        self.calls.append((role, query, sent))
        result = (self.graph.ro_query if role == "reader" else self.graph.query)(query, sent)
        columns = [column[1] for column in result.header]
        return [dict(zip(columns, row, strict=True)) for row in result.result_set]
