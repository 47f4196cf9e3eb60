"""What the front ends share: the CLI (`tutor.cli`) and the TUI (`tutor.tui`) only parse input
and render; the work they both need lives here, importing neither of them."""
