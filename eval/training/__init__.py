"""Training the recognizers and classifiers: strict YAML configs, losses, the shared accelerate loop, trainers."""
