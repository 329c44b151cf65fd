"""A C2SP tlog-witness (https://c2sp.org/tlog-witness): it cosigns a log's checkpoints, each only after checking
that it extends the last one it cosigned, so a log cannot show different histories to different people.

The core (``witness``) and its memory (``state``) are plain Python; ``app`` serves them over HTTP. The protocol's
wire format, which the logs that submit to a witness speak too, is ``ledger.log.witness_protocol``; the log's
submitter runs beside the server that runs the log, ``traceledger.witnessing``. A witness is run by someone who
does not trust the log's operator, so this package depends on ``signer`` and ``ledger`` only, never on the API.
"""
