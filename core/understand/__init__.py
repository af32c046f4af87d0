"""Understand: what models learned, where they fail, and how they compare.

Here: evaluation on the test set (``evaluation``: confusion matrix, report, misclassified, saliency),
what a model sees inside (``inspection``: activations, Grad-CAM, the embedding map), likely label
mistakes in the training set (``label_issues``, cleanlab), the leaderboard and head-to-head
(``compare``), which models answer (``selection``), "All models vote" (``vote``) and Beat the model
(``game``).

Not here: training (``core.training``) or turning a picture into an answer (``core.predict``).
This stage sits above ``core.predict``: the vote averages the answers predict gives for one picture
(``inference.ModelPrediction``) as well as the models' test-set evaluations.
"""
