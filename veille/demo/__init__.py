"""The offline demo: a sample corpus of fictional Paris outlets served on loopback, and `veille demo`."""
