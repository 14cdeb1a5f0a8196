"""Inputs of a forecast cycle: observations (archive), and later NWP, CTM and emissions."""
