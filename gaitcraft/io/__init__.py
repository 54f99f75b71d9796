"""Dataset readers and writers (OpenGait, CASIA-B PNG, frame folders, videos, GaitCraft trees) and previews."""
