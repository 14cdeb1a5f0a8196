"""Emission inputs: GNFR temporal profiles with Vietnamese calendar effects, inventory reduction to stations.

Public API
----------
temporal_factors, TemporalModel, temporal_model_for   hourly factors per sector (profiles.py)
read_inventory, station_emission_indices             gridded inventory → station indices (inventory.py)
WeightCache                                          station × cell weights per grid (neighbourhood.py)
write_synthetic_inventory                            SYNTHETIC inventory NetCDF (synthetic_inventory.py)
station_emission_features                            (station, time) features (features.py)

See docs/inputs.md, "Emissions".
"""

from met_inputs.emissions.features import station_emission_features
from met_inputs.emissions.inventory import EMISSION_UNITS, SPECIES, read_inventory, station_emission_indices
from met_inputs.emissions.neighbourhood import WeightCache
from met_inputs.emissions.profiles import TemporalModel, temporal_factors, temporal_model_for
from met_inputs.emissions.synthetic_inventory import write_synthetic_inventory

__all__ = [
    "EMISSION_UNITS",
    "SPECIES",
    "TemporalModel",
    "WeightCache",
    "read_inventory",
    "station_emission_features",
    "station_emission_indices",
    "temporal_factors",
    "temporal_model_for",
    "write_synthetic_inventory",
]
