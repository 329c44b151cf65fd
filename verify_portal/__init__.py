"""The consumer-facing verify portal and its in-browser verifier (issue "QR labels and the verify portal";
not built yet). It will serve the history bundles of ``api`` as pages.
"""
