"""Forecasting: the VN_AQI engine, baseline forecasters, and the CLI that composes the stages."""
