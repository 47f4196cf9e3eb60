"""Tools for course authors: the format reference, task skeletons, proving solutions by training."""
