"""The core of traceledger, with no web imports: the log (``log``), events (``events``), identifiers, the rules
(``rules``), storage and the append transaction (``store``), and what a consumer sees (``history``).
"""
