"""Hand-in and collection on a shared cluster filesystem (see layout.py for the permissions).

What holds against whom:
- Against other students (enforced by the kernel): they cannot list the area, nor open, list,
  read, create in, rename, delete or chmod another student's folder or anything in it.
- Against the student themself: attempts are sealed read-only (folders 0550, files 0440), so
  an accidental `rm -rf`, editor save or copy fails. A determined student owns their files and
  can chmod and change them; that cannot be prevented without a privileged helper, but it is
  detected: every change moves a ctime past the attempt's seal, which no user can set back,
  and `tutor collect` reports it (and a re-sealed folder's hand-in time moves forward, so a
  late attempt can never be made to look on time).
- Hand-in time is the attempt folder's ctime (set by the kernel or file server at the rename
  and seal), not the student's clock; the manifest's own time is kept for comparison.
"""
