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
- Against a student attacking the instructor's side (collect.py, reader.py, trust.py): the
  config is never read from a folder students write to; collect writes only into a new
  folder it creates, finds folders by owner, reads every tree with bounds (numbering, depth,
  bytes by size and st_blocks, exact-size copies), copies only declared files, recomputes
  completeness and prints every name as data. A manifest's check result is a claim.
- Not without root or quotas: how much a student stores in their own folder (it counts
  against the instructors' group quota) and removing it; tutor's limits bind `tutor handin`
  and what `tutor collect` copies, not what a student writes there by hand.
"""
