"""Keys and signatures: Ed25519 keys in encrypted PKCS#8 PEM (``keys``), DSSE envelopes (``dsse``), C2SP signed
notes (``note``), and the base of every traceledger error (``errors``).
"""
