"""CAMS through the ADS API with an injected fake client: the request, credentials, the missing extra."""

from __future__ import annotations

import builtins
import json
import logging

import pandas as pd
import pytest

from configs.settings import HomeLayout
from configs.sources import SourcesConfig, load_sources
from met_inputs.fetch import cams, fetch_cycle
from met_inputs.fetch.errors import FetchError, MissingExtraError

CYCLE = pd.Timestamp("2026-11-22T12:00Z")
AFTER = CYCLE + pd.Timedelta(hours=11)
SECRET = "1234abcd-5678-efgh-SECRET-KEY"
ENV = {"ADS_URL": "https://ads.example.test/api", "ADS_KEY": SECRET, "HOME": "/nonexistent"}


class FakeClient:
    """Stands in for ``cdsapi.Client``: records requests and writes a file like the real one."""

    def __init__(self, calls: list, fail: str | None = None, **kwargs):
        self.calls, self.fail, self.kwargs = calls, fail, kwargs
        logging.getLogger("cdsapi").debug("CDSAPI %s", {"url": kwargs.get("url"), "key": "(hidden by the fake)"})

    def retrieve(self, name, request, target):
        self.calls.append((name, request, target, self.kwargs))
        if self.fail:
            raise RuntimeError(self.fail)
        with open(target, "wb") as fh:
            fh.write(b"GRIB" + b"\0" * 200 + b"7777")
        return target


def cams_source(**kw) -> dict:
    spec = dict(
        name="cams",
        role="ctm",
        kind="cams-ads",
        base_url="https://ads.atmosphere.copernicus.eu/api",
        steps_h=[0, 3, 6],
        params=["particulate_matter_2.5um", "nitrogen_dioxide"],
        available_after_h=10,
        options={"dataset": "cams-global-atmospheric-composition-forecasts", "type": "forecast", "model_level": "137"},
    )
    return spec | kw


def run(home, calls, env=ENV, now=AFTER, fail=None, **kw):
    cfg = SourcesConfig.model_validate({"sources": [cams_source(**kw)]})
    factories = {"cams-ads": lambda **k: FakeClient(calls, fail, **k)}
    return fetch_cycle(HomeLayout(home), cfg, CYCLE, now=now, env=env, client_factories=factories)


def test_request_is_built_from_the_source_config():
    source = load_sources().sources[2]
    assert source.kind == "cams-ads"
    request = cams.build_request(source, CYCLE)
    assert request == {
        "variable": [
            "particulate_matter_2.5um",
            "particulate_matter_10um",
            "nitrogen_dioxide",
            "ozone",
            "sulphur_dioxide",
            "carbon_monoxide",
            "surface_pressure",  # with temperature: air density for the kg/kg -> µg/m³ conversion
            "temperature",
        ],
        "date": ["2026-11-22/2026-11-22"],
        "time": ["12:00"],
        "leadtime_hour": [str(h) for h in range(0, 73, 3)],
        "type": ["forecast"],
        "data_format": "grib",
        "area": [24.0, 101.0, 8.0, 110.0],  # N, W, S, E
        "model_level": ["137"],
    }


def test_fetch_writes_one_file_and_a_manifest_without_credentials(home, caplog):
    calls = []
    with caplog.at_level(logging.DEBUG):
        report = run(home, calls)
    result = report["cams"]
    assert (result.status, result.files, report.exit_code) == ("complete", 1, 0)
    ((name, request, target, kwargs),) = calls
    assert name == "cams-global-atmospheric-composition-forecasts"
    assert request["leadtime_hour"] == ["0", "3", "6"] and request["time"] == ["12:00"]
    assert target.endswith("cams_2026112212.grib.part")
    assert kwargs["url"] == "https://ads.example.test/api" and kwargs["key"] == SECRET
    folder = home / "inputs" / "2026-11-22T12Z" / "cams"
    assert (folder / "cams_2026112212.grib").stat().st_size == 208
    manifest = (folder / "manifest.json").read_text()
    assert SECRET not in manifest and SECRET not in caplog.text
    record = json.loads(manifest)["files"][0]
    assert record["request"] == request
    assert record["url"] == "https://ads.example.test/api#cams-global-atmospheric-composition-forecasts"
    assert "requesting" in caplog.text  # the request itself is logged, without the key


def test_second_run_skips_without_asking_the_ads(home):
    calls = []
    run(home, calls)
    assert run(home, calls)["cams"].status == "skipped" and len(calls) == 1


def test_client_errors_are_reported_without_the_key(home, caplog):
    calls = []
    with caplog.at_level(logging.DEBUG):
        result = run(home, calls, fail=f"401 Unauthorized for key {SECRET}")["cams"]
    assert result.status == "failed"
    assert "ADS request failed: RuntimeError: 401 Unauthorized for key ***" in result.reason
    assert SECRET not in result.reason and SECRET not in caplog.text


def test_before_its_time_cams_is_late_and_the_ads_is_not_asked(home):
    calls = []
    result = run(home, calls, now=CYCLE + pd.Timedelta(hours=3))["cams"]
    assert result.status == "late" and calls == []
    assert "ADS dataset cams-global-atmospheric-composition-forecasts for cycle 2026-11-22 12Z" in result.reason
    assert "expected by 2026-11-22 22:00Z" in result.reason


@pytest.mark.parametrize(
    "env, url, origin",
    [
        ({"ADS_KEY": "k1"}, "https://ads.atmosphere.copernicus.eu/api", "$ADS_KEY"),
        ({"CDSAPI_URL": "https://mirror.test/api", "CDSAPI_KEY": "k1"}, "https://mirror.test/api", "$CDSAPI_KEY"),
    ],
)
def test_credentials_from_the_environment(env, url, origin):
    creds = cams.resolve_credentials(env | {"HOME": "/nonexistent"}, "https://ads.atmosphere.copernicus.eu/api")
    assert (creds.url, creds.key, creds.origin) == (url, "k1", origin)
    assert "k1" not in repr(creds)


def test_credentials_from_cdsapirc(tmp_path):
    (tmp_path / ".cdsapirc").write_text("url: https://ads.atmosphere.copernicus.eu/api\nkey: from-rc-file\n")
    creds = cams.resolve_credentials({"HOME": str(tmp_path)}, None)
    assert (creds.url, creds.key) == ("https://ads.atmosphere.copernicus.eu/api", "from-rc-file")


def test_missing_credentials_say_where_they_are_looked_for(home, tmp_path):
    result = run(home, [], env={"HOME": str(tmp_path)})["cams"]
    assert result.status == "failed"
    assert "no ADS credentials: set ADS_URL and ADS_KEY" in result.reason and ".cdsapirc" in result.reason


def test_missing_extra_names_the_pip_command(home, monkeypatch):
    real_import = builtins.__import__

    def no_ads_clients(name, *args, **kwargs):
        if name in ("cdsapi", "ecmwf.datastores") or name.startswith(("cdsapi.", "ecmwf.datastores.")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ads_clients)
    source = SourcesConfig.model_validate({"sources": [cams_source()]}).sources[0]
    with pytest.raises(MissingExtraError, match=r"pip install -e \.\[cams\]"):
        cams.default_client(url="u", key="k", source=source)
    cfg = SourcesConfig.model_validate({"sources": [cams_source()]})
    result = fetch_cycle(HomeLayout(home), cfg, CYCLE, now=AFTER, env=ENV)["cams"]
    assert result.status == "failed" and "pip install -e .[cams]" in result.reason


def test_client_log_messages_are_scrubbed(caplog):
    sink = cams._ClientLog(SECRET)
    with caplog.at_level(logging.DEBUG):
        sink.debug("CDSAPI %s", {"url": "u", "key": SECRET})
        sink.log(logging.INFO, f"Request with {SECRET}")
    assert SECRET not in caplog.text and caplog.text.count("***") == 2


def test_client_failure_without_a_file_is_an_error(home):
    class Silent(FakeClient):
        def retrieve(self, name, request, target):
            return target

    cfg = SourcesConfig.model_validate({"sources": [cams_source()]})
    report = fetch_cycle(
        HomeLayout(home), cfg, CYCLE, now=AFTER, env=ENV, client_factories={"cams-ads": lambda **k: Silent([], **k)}
    )
    assert "finished without writing the file" in report["cams"].reason


def test_credentials_error_is_a_fetch_error():
    with pytest.raises(FetchError, match="no ADS credentials"):
        cams.resolve_credentials({"HOME": "/nonexistent"}, None)
