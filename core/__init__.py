"""Fashion-MNIST Studio core: plain Python + TensorFlow/Keras, no Streamlit.

Rooms named after the stages of the work; imports run one way, down (tests/unit/test_layering.py):

    data -> models -> training -> predict -> understand -> cli

- ``data``: find, verify and read the dataset; class names.
- ``models``: what a model is and where it lives (the zoo, the store, the cache, code export).
- ``training``: making models (jobs, the queue, backends, estimates, lessons).
- ``predict``: one new picture in, answers out (preprocessing, novelty, the photo set, inference).
- ``understand``: what models learned and how they compare (evaluation, inspection, label issues, ...).
- ``cli`` / ``__main__``: ``python -m core ...``, on top of everything.

Package ``__init__`` files import nothing: ``core.data`` and the pages stay fast to import, and
TensorFlow loads only with the modules that need it.
"""
