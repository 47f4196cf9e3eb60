"""One module per screen, each with its `.tcss` next to it."""
