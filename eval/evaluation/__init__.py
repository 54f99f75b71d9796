"""Scoring: embeddings, distances, retrieval metrics, protocols, generation metrics, privacy, curation, reports."""
