"""Neptune Streams -> notification events -> SQS FIFO, one lease-holding reader at a time."""
