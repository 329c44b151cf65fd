"""Tests of the C2SP tlog-witness: its state, its checks and its HTTP app."""
