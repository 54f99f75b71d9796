"""Model definitions: GaitBase (declared once in `gaitbase_config`), its OpenGait-named building blocks and
checkpoint loading, the fused silhouette + 3D recognizer and the attribute classifiers."""
