"""Real notebooks for the notebook tests, written with nbformat as Jupyter and Colab save them.

The chapter-7 and chapter-8 notebooks follow the book's layout cell by cell (data, model,
compile, fit, evaluate); the others are the shapes students hand in: a Colab export full of
magics, two models, a model that only appears while training, none at all."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

CH7_DATA = """\
import tensorflow as tf
from tensorflow.keras.utils import to_categorical
mnist = tf.keras.datasets.mnist
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 784).astype('float32') / 255
x_test = x_test.reshape(10000, 784).astype('float32') / 255
y_train = to_categorical(y_train, num_classes=10)
y_test = to_categorical(y_test, num_classes=10)"""

CH7_MODEL = """\
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense
model = Sequential()
model.add(Dense({units}, activation='{activation}', input_shape=(784,)))
model.add(Dense(10, activation='softmax'))
model.summary()"""

CH7_COMPILE = """model.compile(loss="categorical_crossentropy", optimizer="{optimizer}", metrics=["accuracy"])"""

CH8_MODEL = """\
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Dense, Flatten{extra_import}
model = Sequential()
model.add(Conv2D(32, (5, 5), activation='relu', input_shape=(28, 28, 1)))
model.add(MaxPooling2D((2, 2)))
model.add(Conv2D(64, (5, 5), activation='relu'))
model.add(MaxPooling2D((2, 2))){extra_layer}
model.add(Flatten())
model.add(Dense(10, activation='softmax'))
model.summary()"""

CH8_DATA = """\
import tensorflow as tf
from tensorflow.keras.utils import to_categorical
mnist = tf.keras.datasets.mnist
(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
print(train_images.shape)
train_images = train_images.reshape((60000, 28, 28, 1))
train_images = train_images.astype('float32') / 255
test_images = test_images.reshape((10000, 28, 28, 1))
test_images = test_images.astype('float32') / 255
train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)"""

CH8_FIT = """\
model.compile(loss='categorical_crossentropy',
              optimizer='{optimizer}',
              metrics=['accuracy'])
model.fit(train_images, train_labels, batch_size=100, epochs=5, verbose=1)"""

CH8_EVALUATE = """\
test_loss, test_acc = model.evaluate(test_images, test_labels)
print('Test accuracy:', test_acc)"""


def write(path: Path, *cells, outputs: bool = True) -> Path:
    """Markdown cells are strings starting with '#', code cells everything else. Code cells
    get a saved output claiming a perfect score (outputs must never be trusted)."""
    made = []
    for count, text in enumerate(cells, 1):
        if text.startswith("# ") and "\n" not in text:
            made.append(new_markdown_cell(text))
            continue
        cell = new_code_cell(text, execution_count=count)
        if outputs:
            cell.outputs = [new_output("stream", name="stdout", text="Test accuracy: 1.0\n")]
        made.append(cell)
    notebook = new_notebook(cells=made, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                 "language": "python"}})
    nbformat.validate(notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def chapter7(path: Path, units: int = 10, activation: str = "sigmoid", optimizer: str = "sgd") -> Path:
    """The chapter-7 notebook (7,960 parameters as the book has it)."""
    return write(
        path,
        "# MNIST with a dense network",
        CH7_DATA,
        CH7_MODEL.format(units=units, activation=activation),
        CH7_COMPILE.format(optimizer=optimizer),
        "model.fit(x_train, y_train, epochs=5)",
        "test_loss, test_acc = model.evaluate(x_test, y_test)\nprint('Test accuracy:', test_acc)",
        "predictions = model.predict(x_test)",
    )


def chapter8(path: Path, improved: bool = False) -> Path:
    """The chapter-8 CNN as the book lays it out: model cell, data cell, fit cell, evaluate cell
    (62,346 parameters; `improved` adds a Dropout and uses Adam, as a task 8.1 answer)."""
    extra_import = ", Dropout" if improved else ""
    extra_layer = "\nmodel.add(Dropout(0.25))" if improved else ""
    return write(
        path,
        "# Coding a convolutional neural network",
        CH8_MODEL.format(extra_import=extra_import, extra_layer=extra_layer),
        CH8_DATA,
        CH8_FIT.format(optimizer="adam" if improved else "sgd"),
        CH8_EVALUATE,
    )


def colab_export(path: Path) -> Path:
    """What Colab's "Download .ipynb" gives: pip and shell escapes, magics, display(), Drive."""
    return write(
        path,
        "!pip install -q tensorflow\n!nvidia-smi\n%matplotlib inline\n%load_ext tensorboard",
        "from google.colab import drive\ndrive.mount('/content/drive')\nfrom IPython.display import display, Image",
        CH8_DATA + "\nfiles = !ls\ndisplay(train_images.shape)",
        "%%time\n" + CH8_MODEL.format(extra_import=", Dropout", extra_layer="\nmodel.add(Dropout(0.25))"),
        "%%bash\necho 'this cell is shell, not Python'",
        "model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])\nmodel",
        "%%time\nhistory = model.fit(train_images, train_labels, batch_size=100, epochs=5)",
        "%tensorboard --logdir logs\n" + CH8_EVALUATE,
    )


def two_models(path: Path) -> Path:
    return write(
        path,
        CH7_DATA,
        CH7_MODEL.format(units=64, activation="relu") + "\n" + CH7_COMPILE.format(optimizer="adam"),
        "small = Sequential([Dense(10, activation='softmax', input_shape=(784,))])\n"
        + CH7_COMPILE.format(optimizer="sgd").replace("model.", "small."),
        "model.fit(x_train, y_train, epochs=5)\nsmall.fit(x_train, y_train, epochs=5)",
    )


def trains_in_the_building_cell(path: Path) -> Path:
    """One cell builds, compiles and trains (the fit must never run while checking)."""
    return write(
        path,
        CH7_DATA,
        CH7_MODEL.format(units=128, activation="relu") + "\n" + CH7_COMPILE.format(optimizer="adam")
        + "\nimport pathlib\npathlib.Path('fit-ran').write_text('x')\nmodel.fit(x_train, y_train, epochs=10**6)",
        "model.evaluate(x_test, y_test)",
    )


def model_only_after_training(path: Path) -> Path:
    """The model is made by a function that also trains it: it exists only after training."""
    return write(
        path,
        CH7_DATA,
        "from tensorflow.keras import Sequential\nfrom tensorflow.keras.layers import Dense\n\n"
        "def train_dense(units):\n    net = Sequential([Dense(units, activation='relu', input_shape=(784,)),\n"
        "                      Dense(10, activation='softmax')])\n"
        "    net.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])\n"
        "    net.fit(x_train, y_train, epochs=5)\n    return net",
        "model = train_dense(128)",
        "model.evaluate(x_test, y_test)",
    )


def no_model(path: Path) -> Path:
    return write(path, CH7_DATA, "import matplotlib.pyplot as plt\nplt.imshow(x_train[0].reshape(28, 28))\nplt.show()")


def with_build_model(path: Path, body: str) -> Path:
    """A notebook that defines build_model() (the first rule of where the model comes from)."""
    return write(path, "import keras\nfrom keras import layers", body, "model = build_model()\nmodel.fit(x, y)")
