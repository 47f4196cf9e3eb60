"""Widgets the screens share, each with its `.tcss` next to it where it needs styles."""
