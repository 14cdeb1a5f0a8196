"""The operational cycle: inputs → features → champion correctors → VN_AQI → products → publication.

Each module holds one stage; :mod:`forecast.cycle.runner` composes them (called by ``vnaqi run`` and
the scheduler). See docs/cycle.md.
"""
