#!/usr/bin/env bash
# Build (once) the framework environments of the compatibility matrix, outside the repo:
#   $TUTOR_FRAMEWORKS_DIR (default ~/.cache/tutor-frameworks)/NAME/  a virtualenv per framework
# NAME: tf2.11 (the book's NGC 23.03 image: TensorFlow 2.11, Keras 2.11, on Python 3.10 here),
#       tf2.15 (the last Keras 2), torch (Keras 3 on the PyTorch backend, CPU torch).
# TF 2.21 / Keras 3 is tutor's own .venv. A finished environment has a .ready stamp holding
# what it was built from; a changed recipe rebuilds it. Exit status non-zero if any build fails
# (the matrix then FAILS in CI: it never skips there).
set -uo pipefail
ROOT="${TUTOR_FRAMEWORKS_DIR:-$HOME/.cache/tutor-frameworks}"
PYENV_ROOT="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
mkdir -p "$ROOT"

recipe() {  # NAME -> "PYTHON|PIP ARGS"
  case "$1" in
    tf2.11) echo "$PYENV_ROOT/versions/3.10.13/bin/python|tensorflow-cpu==2.11.0 numpy==1.23.5 h5py" ;;
    tf2.15) echo "$PYENV_ROOT/versions/3.11.7/bin/python|tensorflow-cpu==2.15.1 h5py" ;;
    torch)  echo "$PYENV_ROOT/versions/3.11.7/bin/python|torch==2.13.0 keras==3.* h5py numpy" ;;
    *) return 1 ;;
  esac
}

status=0
for name in "${@:-tf2.11 tf2.15 torch}"; do
  for one in $name; do
    spec="$(recipe "$one")" || { echo "frameworks: unknown environment $one" >&2; status=1; continue; }
    python="${spec%%|*}"; packages="${spec#*|}"
    dir="$ROOT/$one"
    if [ -f "$dir/.ready" ] && [ "$(cat "$dir/.ready")" = "$spec" ]; then
      echo "frameworks: $one ready in $dir"; continue
    fi
    if [ ! -x "$python" ]; then
      echo "frameworks: $one needs $python, which this machine does not have" >&2; status=1; continue
    fi
    echo "frameworks: building $one ($packages) in $dir"
    rm -rf "$dir" && "$python" -m venv "$dir" \
      && "$dir/bin/pip" install -q --disable-pip-version-check $packages 2>&1 | { grep -v "^WARNING: Location" || true; } \
      && echo "$spec" > "$dir/.ready" \
      || { echo "frameworks: installing $one failed" >&2; rm -rf "$dir"; status=1; }
  done
done
exit $status
