"""How every shipped artifact in artifacts/ is made; ``make zoo`` runs these, in this order:

- ``train_zoo``: every architecture of the zoo with its published recipe, as the app's Start button trains it
  (artifacts/<architecture>/, with its cached test probabilities);
- ``refit_lead``: the lead model's top refit on Fashion-MNIST and the tuning drawings;
- ``train_garment_check``: the "is it one of the ten kinds of clothing?" check on the lead model's features
  (artifacts/garment_check.keras and .json);
- ``embeddings``: every shipped model's embedding map (artifacts/<id>/embedding.npz; also ``make embeddings``).

And what they need or how their recipes were chosen: ``world_pictures`` (pictures nobody here made: the
tuning part the garment check and the refit learn from; bench/bench_world.py reports the held-out part),
``search`` (a recipe search on the validation split) and ``zoo_table`` (the README's table of shipped models).
The label-issue probabilities (artifacts/train_oof_probabilities.npz) are core's own:
``python -m core.understand.label_issues`` (``make label-issues``).

Each runs as ``python -m recipes.<module>`` (``--help`` says how). They import core/ and each other, never
bench/ (which only measures) nor tests/. Their records (lead-refit.md, garment-check-search.md, embedding.md)
go to bench/results/, beside every other measured figure.
"""
