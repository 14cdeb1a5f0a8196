"""``vnaqi aqi``: hourly or daily VN_AQI of an observation file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from configs.schema import DEFAULT_LOCAL_TZ
from forecast.aqi import aqi_table, daily_aqi, hourly_aqi
from forecast.cli import app
from forecast.cli.common import HomeOption, console, fail, run_guarded
from met_inputs.observations.cube import pollutant_cube
from met_inputs.observations.readers.generic import read_generic_table
from met_inputs.observations.timeconv import check_zone

OUTPUT_SUFFIXES = (".csv", ".parquet")


@app.command("aqi")
def aqi_command(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="Hourly observations, .csv or .parquet, long or wide.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the result (.csv or .parquet).")],
    daily: Annotated[bool, typer.Option("--daily", help="Daily VN_AQI per local day (hours 01:00…00:00).")] = False,
    tz: Annotated[
        str | None,
        typer.Option(help="Zone of naive input times and of the local days/output times. Default Asia/Ho_Chi_Minh."),
    ] = None,
    min_hours_fraction: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Daily completeness: share of hours a daily mean or 8-h mean needs (0 = none).",
        ),
    ] = 0.75,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUTPUT if it exists.")] = False,
    home: HomeOption = None,
) -> None:
    """Compute VN_AQI (Decision 1459/QĐ-TCMT) from an hourly observation file.

    Input times are hour-ending and must carry a UTC offset unless --tz names their zone. Long files have
    columns station_id,time,pollutant,value[,unit]; wide files station_id,time and one column per pollutant
    (pm25 pm10 no2 o3 so2 co, or PM2.5 …) in µg/m³. Output columns: station_id, time (ISO 8601 with offset;
    `date` with --daily), aqi (empty where undefined), category (1–6), category_vi, category_en,
    dominant_pollutant and the unrounded sub-indices aqi_POLLUTANT.
    """
    zone = run_guarded(check_zone, tz or DEFAULT_LOCAL_TZ)
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise fail(f"{output}: output must end in .csv or .parquet")
    if output.exists() and not force:
        raise fail(f"{output} exists; pass --force to overwrite it")
    table = run_guarded(read_generic_table, input_path, tz=tz)
    observations = run_guarded(pollutant_cube, table)
    if daily:
        result = daily_aqi(observations, tz=zone, min_hours_fraction=min_hours_fraction)
    else:
        result = hourly_aqi(observations)
    frame = aqi_table(result, daily=daily, tz=zone)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    if output.suffix.lower() == ".parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    tmp.replace(output)
    defined = int(frame["aqi"].notna().sum())
    console.print(f"{len(frame)} {'days' if daily else 'hours'} × stations, {defined} with a VN_AQI → {output}")
