"""Training the models: data sources, rendering, rune synthesis, augmentation, architectures, training, evaluation.

Nothing in the runtime (:mod:`recognizer`) imports this package: the app and
``python -m recognizer predict`` run without it.
"""
