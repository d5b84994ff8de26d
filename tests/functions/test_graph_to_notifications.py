"""From graph_api's writes to the notifications people receive, with nothing hand-written
in between: no id, no stream record, no lookup answer.

1. Users sign up through the auth_triggers post-confirmation handler and act through
   graph_api's AppSync handler (real resolver events, the real service and queries) on
   the embedded engine.
2. Each write query is one Neptune transaction. The graph's state before and after it
   is turned into the records Neptune Streams documents for that change (PG_JSON): a
   ``vl`` record per vertex label and a ``vp`` per vertex property, an ``e`` record per
   edge with ``from``/``to`` and an ``ep`` per edge property, ``REMOVE`` for what went,
   numbered ``commitNum``/``opNum`` with ``isLastOp`` on the last operation. Elements are
   named by the engine's own ids, as Neptune names them by their ``~id``.
   - "Neptune Streams API Response Format":
     https://docs.aws.amazon.com/neptune/latest/userguide/streams-using-api-reponse.html
   - "Serialization Formats in Neptune Streams" (PG_JSON; vl, vp, e, ep; from/to):
     https://docs.aws.amazon.com/neptune/latest/userguide/streams-change-formats.html
3. The stream poller's real handler reads them through real ``neptunedata`` clients
   whose HTTP exchange alone is answered here: GetPropertygraphStream pages the records
   by ``limit`` after the requested position; ExecuteOpenCypherQuery on the reader runs
   the poller's query text, unchanged, on the same embedded engine. DynamoDB and SQS
   are moto.
4. The notifier's real handler consumes the FIFO queue, as the SQS event source would,
   and publishes to the AppSync stand-in of tests/test_notifier.py.

The test then checks what users need: every kind of notification reaches the Cognito
``sub`` it is for, names the actor's ``sub`` and the post's id, and nobody hears about
their own action.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from offline.runner import REPO_ROOT
from tests.realtime_support import ACCOUNT, REGION, FakeContext, add_function_paths, aws_env

add_function_paths()

import auth_triggers.handler as auth_triggers  # noqa: E402
import graph_api.handler as graph_api  # noqa: E402
from notifier import handler as notifier  # noqa: E402
from shared.environment import NotifierEnvironment, PlatformApplications  # noqa: E402
from shared.graph import model, queries  # noqa: E402
from shared.graph.repository import GraphRepository  # noqa: E402
from shared.graph.service import SocialService  # noqa: E402
from stream_poller import handler as poller_handler  # noqa: E402
from stream_poller.checkpoint import DynamoDBCheckpointStore  # noqa: E402
from stream_poller.graph_model import EDGE_RULES  # noqa: E402
from stream_poller.loop import Poller, PollerSettings  # noqa: E402
from stream_poller.mapping import NeptuneLookups  # noqa: E402
from stream_poller.sink import SqsFifoSink  # noqa: E402
from stream_poller.stream import NeptuneStreamReader  # noqa: E402

from tests.functions.appsync_events import appsync_event  # noqa: E402
from tests.functions.conftest import FakeClock, FakeLambdaContext, engine, executor, uid  # noqa: E402, F401 - fixtures
from tests.functions.embedded_graph import EmbeddedExecutor  # noqa: E402
from tests.functions.notifier.test_notifier import AppSyncStub  # noqa: E402

CHECKPOINTS = "e2e-stream-checkpoint"
IDEMPOTENCY = "e2e-idempotency"
DEVICES = "e2e-devices"
QUEUE = "e2e-events.fifo"
#: Small pages, so reads end inside transactions and the poller resumes from checkpoints.
PAGE_LIMIT = 5
COMMIT_T0 = 1_767_225_600_000
FUNCTIONS = REPO_ROOT / "functions"

Element = tuple[str, ...]
Properties = dict[str, Any]


def _value(value: Any) -> dict[str, Any]:
    # The model stores strings (timestamps and mediaKeys included) and the kept counters
    # (integers: 64-bit in openCypher, so "Long"; the poller reads only ``value.value``,
    # never the type name). Another type would need its PG_JSON dataType here, so it
    # fails loudly rather than being guessed.
    if isinstance(value, str):
        return {"value": value, "dataType": "String"}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"value": value, "dataType": "Long"}
    raise TypeError(f"no PG_JSON dataType mapped for {type(value).__name__} value {value!r}")


@dataclass
class EmbeddedNeptune:
    """The Neptune cluster, as graph_api, auth_triggers and the stream poller see it.

    As a ``CypherExecutor`` it runs graph_api's queries on the embedded engine and turns
    each write's effect into that transaction's stream records. As the HTTP side of
    ``neptunedata`` clients it serves those records (writer) and runs queries (reader).

    The one engine difference handled here: Neptune's ``~id`` is a string and FalkorDB's
    element id an integer. A query parameter the stream named as an element id is passed
    to FalkorDB as the integer it stands for; the query text is untouched.
    """

    executor: EmbeddedExecutor
    records: list[dict[str, Any]] = field(default_factory=list)
    element_ids: set[str] = field(default_factory=set)
    commits: int = 0

    # --- CypherExecutor --------------------------------------------------------------

    def read(self, query: str, parameters: Any) -> list[dict[str, Any]]:
        return self.executor.read(query, parameters)

    def write(self, query: str, parameters: Any) -> list[dict[str, Any]]:
        before = self._state()
        rows = self.executor.write(query, parameters)
        self._commit(before, self._state())
        return rows

    def _state(self) -> dict[Element, Properties]:
        """Every vertex and edge, keyed by kind, engine id, label(s) and (edges) ends."""
        graph = self.executor.graph
        state: dict[Element, Properties] = {}
        for vertex_id, labels, properties in graph.ro_query(
            "MATCH (v) RETURN id(v), labels(v), properties(v)"
        ).result_set:
            state[("v", str(vertex_id), *labels)] = dict(properties)
        for edge_id, label, source, target, properties in graph.ro_query(
            "MATCH (a)-[r]->(b) RETURN id(r), type(r), id(a), id(b), properties(r)"
        ).result_set:
            state[("e", str(edge_id), label, str(source), str(target))] = dict(properties)
        return state

    def _commit(self, before: dict[Element, Properties], after: dict[Element, Properties]) -> None:
        operations: list[tuple[str, dict[str, Any]]] = []

        def element(key: Element, op: str, properties: Properties) -> None:
            kind, element_id, *rest = key
            if kind == "v":
                heads = [{"id": element_id, "type": "vl", "key": "label", "value": _value(x)} for x in rest]
            else:
                label, source, target = rest
                self.element_ids.update((source, target))
                ends = {"from": source, "to": target}
                heads = [{"id": element_id, "type": "e", "key": "label", "value": _value(label), **ends}]
            self.element_ids.add(element_id)
            typ = "vp" if kind == "v" else "ep"
            props = [{"id": element_id, "type": typ, "key": k, "value": _value(v)} for k, v in properties.items()]
            # An element comes with its label first; it goes with its properties first.
            operations.extend((op, data) for data in (heads + props if op == "ADD" else props + heads))

        gone = [key for key in before if key not in after]
        new = [key for key in after if key not in before]
        for key in sorted(gone, key=lambda k: k[0] != "e"):  # edges go before their vertices
            element(key, "REMOVE", before[key])
        for key in sorted(new, key=lambda k: k[0] != "v"):  # vertices come before their edges
            element(key, "ADD", after[key])
        for key in (k for k in after if k in before and before[k] != after[k]):
            typ = "vp" if key[0] == "v" else "ep"
            old, current = before[key], after[key]
            for name in sorted(set(old) | set(current)):
                if old.get(name) == current.get(name):
                    continue
                # A changed value: the old one goes, the new one comes (either may be absent).
                for op, values in (("REMOVE", old), ("ADD", current)):
                    if name in values:
                        operations.append((op, {"id": key[1], "type": typ, "key": name, "value": _value(values[name])}))
        if not operations:
            return  # nothing changed (a repeated MERGE): Neptune commits no stream records
        self.commits += 1
        commit = 100 + self.commits
        for number, (op, data) in enumerate(operations, start=1):
            record: dict[str, Any] = {
                "commitTimestampInMillis": COMMIT_T0 + 1_000 * self.commits,
                "eventId": {"commitNum": str(commit), "opNum": str(number)},
                "data": data,
                "op": op,
            }
            if number == len(operations):
                record["isLastOp"] = True
            self.records.append(record)

    # --- the neptunedata HTTP exchange -----------------------------------------------

    def client(self, role: str) -> Any:
        """A real ``neptunedata`` client (request building and validation are botocore's)
        for the ``writer`` or ``reader`` endpoint, answered by this engine."""
        client = boto3.client("neptunedata", endpoint_url=f"https://{role}.e2e.example:8182", region_name=REGION)

        def keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["e2e-params"] = dict(params)

        def answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            params = context["e2e-params"]
            if role == "writer" and model.name == "GetPropertygraphStream":
                return self._stream_page(params)
            if role == "reader" and model.name == "ExecuteOpenCypherQuery":
                parameters = json.loads(params.get("parameters") or "{}")
                rows = self.executor.read(params["openCypherQuery"], self._engine_ids(parameters))
                return AWSResponse(None, 200, {}, None), {"results": rows}
            raise AssertionError(f"the poller called {model.name} on the {role} endpoint")

        client.meta.events.register("before-parameter-build.neptunedata.*", keep_params)
        client.meta.events.register("before-call.neptunedata.*", answer)
        return client

    def _engine_ids(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._engine_ids(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._engine_ids(v) for v in value]
        return int(value) if isinstance(value, str) and value in self.element_ids else value

    def _stream_page(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        def position(record: dict[str, Any]) -> tuple[int, int]:
            return int(record["eventId"]["commitNum"]), int(record["eventId"]["opNum"])

        iterator = params.get("iteratorType", "AT_SEQUENCE_NUMBER")
        after = (int(params.get("commitNum", 0)), int(params.get("opNum", 1)))
        if iterator == "TRIM_HORIZON":
            following = self.records
        elif iterator == "AFTER_SEQUENCE_NUMBER":
            following = [r for r in self.records if position(r) > after]
        else:
            raise AssertionError(f"the poller read the stream with iteratorType {iterator}")
        page = following[: int(params.get("limit", 10))]
        if not page:
            error = {"Error": {"Code": "StreamRecordsNotFoundException", "Message": "no records after the position"}}
            return AWSResponse(None, 404, {}, None), {**error, "ResponseMetadata": {"HTTPStatusCode": 404}}
        last = page[-1]
        return AWSResponse(None, 200, {}, None), {
            "lastEventId": last["eventId"],
            "lastTrxTimestampInMillis": last["commitTimestampInMillis"],
            "format": "PG_JSON",
            "records": page,
            "totalRecords": len(page),
        }


@dataclass
class Backend:
    """The deployed pipeline, wired to the embedded engine, moto and the AppSync stand-in."""

    neptune: EmbeddedNeptune
    sqs: Any
    queue_url: str
    appsync: AppSyncStub
    poll: Callable[[], dict[str, Any]]
    deliveries: int = 0

    def sign_up(self, name: str) -> str:
        sub = uid(name)
        event = {
            "version": "1",
            "region": REGION,
            "userPoolId": f"{REGION}_AbCdEf123",
            "userName": sub,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "7example23456789012345678"},
            "triggerSource": "PostConfirmation_ConfirmSignUp",
            "request": {
                "userAttributes": {
                    "sub": sub,
                    "email": f"{name}@example.org",
                    "email_verified": "true",
                    "name": name.title(),
                    "cognito:user_status": "CONFIRMED",
                },
                "clientMetadata": {},
            },
            "response": {},
        }
        auth_triggers.handler(event, FakeLambdaContext(function_name="e2e-auth-triggers"))
        return sub

    def act(self, sub: str, field: str, arguments: dict[str, Any]) -> Any:
        return graph_api.handler(appsync_event(field, arguments, sub=sub), FakeLambdaContext())

    def deliver(self) -> None:
        """What the SQS event source does: batches of up to 10 to the notifier, deleted on success."""
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return
            self.deliveries += 1
            records = [
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message["Attributes"],
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}",
                    "awsRegion": REGION,
                }
                for message in messages
            ]
            context = FakeContext(function_name="e2e-notifier", aws_request_id=f"delivery-{self.deliveries}")
            assert notifier.handler({"Records": records}, context) == {"batchItemFailures": []}
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def notifications(self) -> list[tuple[str, str, str, str | None, str | None]]:
        published = [request["body"]["variables"]["input"] for request in self.appsync.requests]
        return sorted(
            (n["kind"], n["recipientId"], n["actorId"], n.get("postId"), n.get("commentId")) for n in published
        )


@pytest.fixture
def backend(executor: EmbeddedExecutor, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:  # noqa: F811
    aws_env(monkeypatch, "graph-to-notifications")
    appsync = AppSyncStub()
    appsync.thread.start()
    neptune = EmbeddedNeptune(executor)
    repository = GraphRepository(neptune)
    monkeypatch.setattr(graph_api, "_service", SocialService(repository, clock=FakeClock()))
    monkeypatch.setattr(auth_triggers, "_repository", repository)
    try:
        with mock_aws():
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            for table in (CHECKPOINTS, IDEMPOTENCY):
                dynamodb.create_table(
                    TableName=table,
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                )
            sqs = boto3.client("sqs", region_name=REGION)
            queue_url = sqs.create_queue(
                QueueName=QUEUE, Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"}
            )["QueueUrl"]
            poller = Poller(
                store=DynamoDBCheckpointStore(dynamodb, CHECKPOINTS),
                stream=NeptuneStreamReader(neptune.client("writer")),
                lookups=NeptuneLookups(neptune.client("reader")),
                sink=SqsFifoSink(sqs, queue_url),
                settings=PollerSettings(page_limit=PAGE_LIMIT),
                now_ms=lambda: COMMIT_T0 + 3_600_000,
                sleep=lambda _: None,
            )
            monkeypatch.setattr(poller_handler, "_poller", lambda: poller)
            # Push is off (no platform applications): in-app delivery is what is checked.
            # Rendered by the notifier's own contract class, as its component renders it.
            environment = NotifierEnvironment(
                graphql_url=appsync.url,
                graphql_region=REGION,
                devices_table=DEVICES,
                idempotency_table=IDEMPOTENCY,
                idempotency_ttl_seconds=86_400,
                push=PlatformApplications(),
            ).to_environment()
            for name, value in environment.items():
                assert isinstance(value, str)
                monkeypatch.setenv(name, value)
            notifier._service.cache_clear()
            polls = iter(range(1, 100))

            def poll() -> dict[str, Any]:
                context = FakeContext(function_name="e2e-stream-poller", aws_request_id=f"poll-{next(polls)}")
                result: dict[str, Any] = poller_handler.handler({"source": "aws.scheduler"}, context)
                return result

            yield Backend(neptune=neptune, sqs=sqs, queue_url=queue_url, appsync=appsync, poll=poll)
            notifier._service.cache_clear()
    finally:
        appsync.server.shutdown()
        appsync.server.server_close()
        appsync.thread.join()


def test_every_notification_kind_reaches_the_right_cognito_sub(backend: Backend) -> None:
    ada, bob, carol, dave = (backend.sign_up(name) for name in ("ada", "bob", "carol", "dave"))

    backend.act(bob, "follow", {"userId": ada})
    backend.act(carol, "follow", {"userId": ada})
    backend.act(ada, "follow", {"userId": bob})
    backend.act(bob, "follow", {"userId": ada})  # again: the edge exists, nothing changes
    hello = backend.act(ada, "createPost", {"input": {"text": "hello"}})["id"]
    backend.act(bob, "likePost", {"postId": hello})
    backend.act(ada, "likePost", {"postId": hello})  # her own post
    nice = backend.act(carol, "addComment", {"input": {"postId": hello, "text": "nice"}})["id"]
    thanks = backend.act(ada, "addComment", {"input": {"postId": hello, "text": "thanks"}})["id"]  # her own post
    first = backend.poll()

    # After the first poll: followers are read when the poller runs, so carol's unfollow
    # must come after it for her NEW_POST to be expected.
    backend.act(carol, "unfollow", {"userId": ada})
    backend.act(ada, "deleteComment", {"id": thanks})
    backend.act(bob, "unlikePost", {"postId": hello})
    backend.act(dave, "updateProfile", {"input": {"bio": "quiet"}})
    news = backend.act(bob, "createPost", {"input": {"text": "news"}})["id"]
    backend.act(dave, "likePost", {"postId": news})
    welcome = backend.act(ada, "addComment", {"input": {"postId": news, "text": "welcome"}})["id"]
    second = backend.poll()
    backend.deliver()

    assert first["stoppedBecause"] == second["stoppedBecause"] == "no new records"
    assert second["position"] == "{commitNum}:{opNum}".format(**backend.neptune.records[-1]["eventId"])
    ends = {r["data"][end] for r in backend.neptune.records if r["data"]["type"] == "e" for end in ("from", "to")}
    assert ends and not ends & {ada, bob, carol, dave}, "the stream names vertices by ~id, never by Cognito sub"

    assert backend.notifications() == sorted(
        [
            ("NEW_FOLLOWER", ada, bob, None, None),
            ("NEW_FOLLOWER", ada, carol, None, None),
            ("NEW_FOLLOWER", bob, ada, None, None),
            ("NEW_POST", bob, ada, hello, None),
            ("NEW_POST", carol, ada, hello, None),
            ("POST_LIKED", ada, bob, hello, None),
            ("POST_COMMENTED", ada, carol, hello, nice),
            ("NEW_POST", ada, bob, news, None),
            ("POST_LIKED", bob, dave, news, None),
            ("POST_COMMENTED", bob, ada, news, welcome),
        ]
    ), "each once, to its sub; nobody about their own like or comment; unfollow, unlike, delete, edit: nobody"
    assert all(recipient != actor for _, recipient, actor, _, _ in backend.notifications())


def test_the_poller_listens_only_for_edges_graph_api_writes() -> None:
    written = {
        match.group(1)
        for text in queries.ALL.values()
        for match in re.finditer(r"(?:MERGE|CREATE)\s*\(\w*\)-\[\w*:(\w+)", text)
    }
    assert set(EDGE_RULES) <= written, f"rules for edges no query writes: {sorted(set(EDGE_RULES) - written)}"


def test_graph_labels_are_spelled_only_in_the_model() -> None:
    """A label spelled twice can drift (as COMMENTED did from WROTE): every string in the
    functions' code that is a label, or names one after a colon, must be the model's."""
    labels = [str(label) for label in (*model.Vertex, *model.Edge)]
    named = re.compile(rf":\s*`?(?:{'|'.join(labels)})`?\b")
    spelled = [
        f"{path.relative_to(FUNCTIONS)}:{node.lineno}"
        for path in sorted(FUNCTIONS.rglob("*.py"))
        if path != FUNCTIONS / "shared" / "graph" / "model.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (node.value in labels or named.search(node.value))
    ]
    assert spelled == []
    assert ":WROTE]" in queries.ADD_COMMENT, "the scan sees rendered texts through the model, not around it"
