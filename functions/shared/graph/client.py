"""Runs openCypher on Neptune through boto3's ``neptunedata`` client.

Writes go to the cluster (writer) endpoint, reads to the reader endpoint. Clients are
created on first use, so tests can put a stub in place first and a cold start that
serves no query opens no connection. botocore retries throttling and transient network
errors (standard mode); Neptune's ``ConcurrentModificationException`` (two transactions
touched the same vertex or edge; the whole query was rolled back) is retried here with
full-jitter exponential backoff, which is safe because every write query is idempotent
(``MERGE`` on ids generated once per request).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# boto3 comes from the Lambda runtime (never packaged); it ships no types (see pyproject).
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# The endpoints are part of each function's environment contract (one set of names);
# re-exported, as the executor's settings.
from shared.environment import NeptuneSettings as NeptuneSettings

Row = dict[str, Any]
CONCURRENT_MODIFICATION = "ConcurrentModificationException"


class CypherExecutor(Protocol):
    """What the repository needs from a graph: run one parameterised query, get rows."""

    def read(self, query: str, parameters: Mapping[str, Any]) -> list[Row]: ...

    def write(self, query: str, parameters: Mapping[str, Any]) -> list[Row]: ...


#: Connect fast inside the VPC; a query gets most of the function's time budget.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=3,
    read_timeout=20,
    tcp_keepalive=True,
)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Full-jitter backoff for ConcurrentModificationException."""

    attempts: int = 5
    base_seconds: float = 0.05
    cap_seconds: float = 1.0

    def delay(self, attempt: int, rng: Callable[[], float]) -> float:
        return float(rng() * min(self.cap_seconds, self.base_seconds * 2**attempt))


class NeptuneExecutor:
    """A :class:`CypherExecutor` over the writer and reader endpoints."""

    def __init__(
        self,
        settings: NeptuneSettings[str],
        *,
        client_factory: Callable[[str], Any] | None = None,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._client_factory = client_factory or _neptunedata_client
        self._clients: dict[str, Any] = {}
        self._retry = retry
        self._sleep = sleep
        self._rng = rng

    def client(self, role: str) -> Any:
        """The ``neptunedata`` client for ``"writer"`` or ``"reader"``, created on first use."""
        if role not in self._clients:
            endpoint = self.settings.writer_endpoint if role == "writer" else self.settings.reader_endpoint
            self._clients[role] = self._client_factory(self.settings.url(endpoint))
        return self._clients[role]

    def read(self, query: str, parameters: Mapping[str, Any]) -> list[Row]:
        return self._execute("reader", query, parameters)

    def write(self, query: str, parameters: Mapping[str, Any]) -> list[Row]:
        return self._execute("writer", query, parameters)

    def _execute(self, role: str, query: str, parameters: Mapping[str, Any]) -> list[Row]:
        client = self.client(role)
        body = json.dumps(dict(parameters), sort_keys=True)
        for attempt in range(self._retry.attempts):
            try:
                response = client.execute_open_cypher_query(openCypherQuery=query, parameters=body)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code != CONCURRENT_MODIFICATION or attempt == self._retry.attempts - 1:
                    raise
                self._sleep(self._retry.delay(attempt, self._rng))
                continue
            results: list[Row] = response.get("results", [])
            return results
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def _neptunedata_client(endpoint_url: str) -> Any:
    # Signed with the function's role (Neptune IAM database authentication).
    return boto3.client("neptunedata", endpoint_url=endpoint_url, config=CLIENT_CONFIG)
