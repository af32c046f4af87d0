"""Training: making models.

Here: one training run and the records it reports (``jobs``: states, ``Progress``, ``TrainingJob``,
and the ``Backend`` protocol it trains through), where a run trains (``backends``: this process or a
Ray cluster), the fair queue that decides which runs train when (``fair_queue``), how long a run will
take (``estimate``) and the built-in lessons' groups of runs (``lessons``).

Not here: what a model is or how it is saved (``core.models``), nor anything that uses a trained
model (``core.predict``, ``core.understand``). Imports go down only: ``jobs`` <- ``backends`` <-
``fair_queue``.
"""
