"""Reading Neptune Streams through boto3's ``neptunedata`` client (the writer endpoint)."""

from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import ClientError
from stream_poller.records import StreamPage, StreamPosition

#: Error codes from botocore's neptunedata model (GetPropertygraphStream) and what they mean here.
EXPIRED_CODES = frozenset({"ExpiredStreamException"})
#: "The requested resource could not be found": returned when nothing follows the position
#: (the stream is up to date), so it is the normal "no records" case.
NO_RECORDS_CODES = frozenset({"StreamRecordsNotFoundException"})
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "MemoryLimitExceededException"})


class StreamExpiredError(RuntimeError):
    """The checkpoint is older than the stream's retention: records were lost. Needs an operator."""


class StreamThrottledError(RuntimeError):
    """Neptune asked us to slow down; retry later."""


class StreamReader(Protocol):
    def read(self, after: StreamPosition | None, limit: int) -> StreamPage: ...


class NeptuneStreamReader:
    def __init__(self, client: Any) -> None:
        self._client = client

    def read(self, after: StreamPosition | None, limit: int) -> StreamPage:
        params: dict[str, Any] = {"limit": limit}
        if after is None:
            params["iteratorType"] = "TRIM_HORIZON"
        else:
            params.update(iteratorType="AFTER_SEQUENCE_NUMBER", commitNum=after.commit_num, opNum=after.op_num)
        try:
            response = self._client.get_propertygraph_stream(**params)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in NO_RECORDS_CODES:
                return StreamPage(records=())
            if code in EXPIRED_CODES:
                raise StreamExpiredError(
                    f"stream records after {after} have expired ({code}); events were lost. Re-seed the "
                    "checkpoint deliberately (see README, 'Expired stream'); the poller never skips ahead by itself"
                ) from error
            if code in THROTTLING_CODES:
                raise StreamThrottledError(code) from error
            raise
        return StreamPage.parse(response)
