"""A C2SP tlog-witness (https://c2sp.org/tlog-witness): it cosigns a log's checkpoints, each only after checking
that it extends the last one it cosigned, so a log cannot show different histories to different people.

The log's side of the protocol (formatting requests, reading cosignatures) lives in ``protocol`` too; nothing
here imports a web framework: ``api.witness_app`` serves the witness and ``api.witnessing`` submits to witnesses.
"""
