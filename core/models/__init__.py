"""Models: what a model is and where it lives.

Here: the zoo (``zoo``: each architecture's spec, builder, recipe and hyperparameters), the store
(``store``: model folders, atomic save, listing, safe-mode loading, retention), outside models brought in
(``importing``: a notebook's .keras/.h5, checked, measured and wrapped into a run; ``bundles``: a run as one
zip, out and back in), the bounded cache of
loaded models (``model_cache``) and the plain-Keras script of a run (``export``, "Show the code").

Not here: anything that trains (``core.training``), answers for a picture (``core.predict``) or
judges a model (``core.understand``). Modules here import only ``core.data`` and each other.
"""
