"""synth_datasets."""
