"""The full-screen guide (Textual). Never imports TensorFlow: grading, training and
submitting run as subprocesses of the real `tutor` CLI (see `runner`)."""
