"""The generic transparency log: RFC 9162 Merkle tree math (``merkle``) and C2SP checkpoints (``checkpoint``)."""
