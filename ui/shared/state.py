"""Session-state keys, in one place so pages agree on them."""

SELECTED_MODEL = "selected_model_id"  # the model a page should open with (set by Train, read by others)
HOME_SHUFFLE = "home_shuffle_seed"
