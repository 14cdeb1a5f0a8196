"""The sequence corrector's network: station embedding, encoder LSTM, decoder LSTM, quantile head.

Inputs are standardised values with NaN → 0 plus a mask per channel (1 = observed), so a missing
value is never confused with an average one. The encoder reads the past 72 h; its final state
initialises the decoder, which reads the 72 leads' features. For every lead and target pollutant the
head emits the mean and the 10/50/90 % quantiles in the standardised target space; the quantiles are
``q50 − softplus(a)``, ``q50``, ``q50 + softplus(b)``, so they never cross.

Station index 0 is the "unknown station" embedding: during training each sample's station is
replaced by 0 with probability ``station_dropout`` so that embedding learns what stations share, and
a station the model has never seen gets a sensible forecast.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional

OUTPUTS: tuple[str, ...] = ("mean", "q10", "q50", "q90")
"""Order of the last axis of the network's output."""


@dataclass(frozen=True)
class NetworkConfig:
    """Shape of a :class:`SequenceNetwork` (saved with the model so it can be rebuilt)."""

    encoder_channels: int
    decoder_channels: int
    n_targets: int
    n_stations: int
    """Known stations; the embedding has ``n_stations + 1`` rows (row 0: unknown station)."""
    hidden_size: int = 64
    num_layers: int = 1
    dropout: float = 0.1
    embedding_dim: int = 8
    station_dropout: float = 0.05

    def to_dict(self) -> dict:
        return asdict(self)


class SequenceNetwork(nn.Module):
    """Encoder–decoder LSTM with a station embedding and a non-crossing quantile head."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        recurrent_dropout = config.dropout if config.num_layers > 1 else 0.0
        self.station_embedding = nn.Embedding(config.n_stations + 1, config.embedding_dim)
        self.encoder = nn.LSTM(
            2 * config.encoder_channels + config.embedding_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=recurrent_dropout,
            batch_first=True,
        )
        self.decoder = nn.LSTM(
            2 * config.decoder_channels + config.embedding_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=recurrent_dropout,
            batch_first=True,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.n_targets * len(OUTPUTS))
        # a linear path from each lead's own features (climatology, persistence, met …) to the outputs
        self.skip = nn.Linear(2 * config.decoder_channels, config.n_targets * len(OUTPUTS))

    def forward(
        self,
        encoder_values: torch.Tensor,
        encoder_mask: torch.Tensor,
        decoder_values: torch.Tensor,
        decoder_mask: torch.Tensor,
        station_index: torch.Tensor,
    ) -> torch.Tensor:
        """Predictions (batch, lead, target, 4: mean, q10, q50, q90) in standardised target units.

        ``encoder_*`` (batch, 72, C_enc) and ``decoder_*`` (batch, lead, C_dec) float tensors;
        ``station_index`` (batch,) long, 0 for an unknown station.
        """
        if self.training and self.config.station_dropout > 0:
            dropped = torch.rand(station_index.shape, device=station_index.device) < self.config.station_dropout
            station_index = torch.where(dropped, torch.zeros_like(station_index), station_index)
        embedding = self.station_embedding(station_index)  # (batch, E)
        batch, n_lead = decoder_values.shape[0], decoder_values.shape[1]
        encoder_in = torch.cat(
            [encoder_values, encoder_mask, embedding[:, None, :].expand(-1, encoder_values.shape[1], -1)], dim=-1
        )
        _, state = self.encoder(encoder_in)
        decoder_features = torch.cat([decoder_values, decoder_mask], dim=-1)
        decoder_in = torch.cat([decoder_features, embedding[:, None, :].expand(-1, n_lead, -1)], dim=-1)
        hidden, _ = self.decoder(decoder_in, state)
        raw = self.head(self.dropout(hidden)) + self.skip(decoder_features)
        raw = raw.view(batch, n_lead, self.config.n_targets, len(OUTPUTS))
        mean, centre = raw[..., 0], raw[..., 2]
        lower = centre - functional.softplus(raw[..., 1])
        upper = centre + functional.softplus(raw[..., 3])
        return torch.stack([mean, lower, centre, upper], dim=-1)
