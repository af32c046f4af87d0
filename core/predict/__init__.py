"""Predict: one new picture in, answers out.

Here: any picture or drawing to the 28x28 model input with every step kept (``preprocess``), the
"is it one of the ten kinds of clothing at all?" check, a small model of its own (``garment_check``), and the
verdict that combines it with the image's signs (``novelty``), the generated photo test set (``photo_set``) and fast
top-k for one image across many models (``inference``).

Not here: anything measured on the test set or across many models' evaluations (``core.understand``),
nor training (``core.training``). Modules here never import ``core.understand``.
"""
