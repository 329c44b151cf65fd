"""Tests of the C2SP tlog-witness: its protocol, its state and its checks."""
