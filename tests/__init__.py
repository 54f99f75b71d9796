"""GaitCraft test suite."""
