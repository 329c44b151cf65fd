"""The composition root: settings (the home folder), the ``traceledger`` command line and its role commands."""
