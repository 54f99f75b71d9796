"""Synthetic datasets sampled from a trained generator."""
