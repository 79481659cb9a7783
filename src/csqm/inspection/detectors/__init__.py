"""Detector kinds: small classes behind one ``detect`` method (see :mod:`.base`)."""
