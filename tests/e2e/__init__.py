"""Whole flows across hub, agents and scripts."""
