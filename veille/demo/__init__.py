"""The offline demo of veille: a fictional Paris press served on loopback (see ``site.py``)."""
