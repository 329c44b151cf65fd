"""GS1 identifiers in QR codes and printable labels (issue "QR labels and the verify portal"; not built yet).

The identifiers themselves are validated in ``ledger.identifiers``, which this package will build on.
"""
