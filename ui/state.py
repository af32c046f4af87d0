"""Session-state keys, in one place so pages agree on them."""

SELECTED_MODEL = "selected_model_id"  # the model a page should open with (set by Train, read by others)
TRAIN_JOB_IDS = "train_job_ids"  # this visitor's training jobs, newest last
HOME_SHUFFLE = "home_shuffle_seed"
