"""Chapter 7, step by step, as a local script. Run: python walkthrough.py

MNIST is read from a staged copy (no download): $MNIST_NPZ, else mnist.npz in
$TUTOR_DATA_DIR, else ~/.keras/datasets/mnist.npz.
"""

import os
from pathlib import Path

import numpy as np


def find_mnist() -> Path:
    candidates = [os.environ.get("MNIST_NPZ")]
    if os.environ.get("TUTOR_DATA_DIR"):
        base = Path(os.environ["TUTOR_DATA_DIR"])
        candidates += [base / "mnist.npz", base / "datasets" / "mnist.npz"]
    candidates.append(Path.home() / ".keras" / "datasets" / "mnist.npz")
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise SystemExit("mnist.npz not found: set MNIST_NPZ, or stage it (tutor data stage mnist --from FILE)")


# 1. Load the data: 60,000 training and 10,000 test images of 28x28 grey pixels.
with np.load(find_mnist()) as data:
    x_train, y_train = data["x_train"], data["y_train"]
    x_test, y_test = data["x_test"], data["y_test"]
print("train:", x_train.shape, "test:", x_test.shape)

# 2. One digit, as the chapter plots it (here: its label and a coarse text picture).
print("label of training image 8:", y_train[8])
for row in x_train[8][::2]:
    print("".join("#" if v > 128 else "." for v in row[::2]))

# 3. Flatten to 784 values and scale the 0..255 pixels to 0..1.
x_train = x_train.reshape(60000, 784).astype("float32") / 255
x_test = x_test.reshape(10000, 784).astype("float32") / 255

# 4. One-hot labels: 5 becomes [0,0,0,0,0,1,0,0,0,0].
import keras  # noqa: E402  (imported late so steps 1-3 run fast)

y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

# 5-6. Build and compile (model.py), then look at it.
from model import build_model  # noqa: E402

model = build_model()
model.summary()

# 7. Train.
model.fit(x_train, y_train, batch_size=32, epochs=5, verbose=2)

# 8. Evaluate on images the model never saw.
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("Test accuracy:", round(float(test_acc), 4))

# 9. Predict one image and read the probabilities.
probabilities = model.predict(x_test[11:12], verbose=0)[0]
print("image 11 is predicted as", int(np.argmax(probabilities)), "- probabilities:", np.round(probabilities, 2))
print("they sum to", round(float(np.sum(probabilities)), 3))
