"""The download layer against a loopback server: retries, resume, byte ranges, checksums, redaction."""

from __future__ import annotations

import hashlib
import json
import logging

import pytest
from fetch_server import FileServer

from met_inputs.fetch.byteranges import known_total, locate, merge_ranges, parse_content_range
from met_inputs.fetch.errors import ChecksumMismatch, FetchError, RemoteNotFound, redact_url
from met_inputs.fetch.http import HttpClient
from met_inputs.fetch.retry import RetryPolicy, parse_retry_after

BODY = bytes(range(256)) * 400  # 102,400 bytes


@pytest.fixture()
def server():
    srv = FileServer().start()
    yield srv
    srv.stop()


@pytest.fixture()
def sleeps():
    return []


@pytest.fixture()
def client(sleeps):
    policy = RetryPolicy(retries=3, timeout_s=5, backoff_s=0.5, max_backoff_s=4)
    with HttpClient(policy, sleep=sleeps.append, chunk_size=4096) as http:
        yield http


def test_whole_file_download_is_atomic_and_checksummed(server, client, tmp_path):
    server.add("/f.bin", BODY)
    result = client.download(server.url("/f.bin"), tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == BODY
    assert result.size == len(BODY) and result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert not list(tmp_path.glob("*.part*"))


def test_503_is_retried_with_backoff_then_succeeds(server, client, sleeps, tmp_path):
    server.add("/f.bin", BODY, statuses=[503, 503])
    client.download(server.url("/f.bin"), tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == BODY
    assert sleeps == [0.5, 1.0]  # exponential
    assert len(server.requests_for("/f.bin")) == 3


def test_retry_after_header_is_honoured(server, client, sleeps):
    server.add("/index", b"ok", statuses=[429], retry_after="7")
    assert client.get_bytes(server.url("/index")) == b"ok"
    assert sleeps == [7.0]


def test_retry_after_longer_than_the_limit_gives_up_naming_the_url(server, sleeps, tmp_path):
    server.add("/index", b"ok", statuses=[503], retry_after="3600")
    with HttpClient(RetryPolicy(retries=3, timeout_s=5, max_retry_after_s=60), sleep=sleeps.append) as http:
        with pytest.raises(FetchError, match=r"/index: HTTP 503; server asks to retry after 3600 s"):
            http.get_bytes(server.url("/index"))
    assert sleeps == []


def test_retries_are_bounded_and_the_error_names_url_and_reason(server, client, sleeps, tmp_path):
    server.add("/f.bin", BODY, statuses=[500] * 10)
    with pytest.raises(FetchError, match=r"http://127\.0\.0\.1:\d+/f\.bin: HTTP 500; gave up after 4 attempts"):
        client.download(server.url("/f.bin"), tmp_path / "f.bin")
    assert len(sleeps) == 3
    assert not (tmp_path / "f.bin").exists()


def test_404_is_not_retried(server, client, sleeps, tmp_path):
    with pytest.raises(RemoteNotFound, match="not found \\(HTTP 404\\)"):
        client.download(server.url("/missing.grib2"), tmp_path / "x")
    assert sleeps == [] and len(server.requests_for("/missing.grib2")) == 1


def test_dropped_connection_resumes_with_a_range_request(server, client, tmp_path):
    server.add("/f.bin", BODY, drop_after=30_000)
    result = client.download(server.url("/f.bin"), tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == BODY
    seen = server.requests_for("/f.bin")
    assert len(seen) == 2 and seen[0].range is None
    resumed_at = int(seen[1].range.removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 30_000  # whatever arrived intact before the drop is kept
    assert seen[1].if_range == '"v1"'  # guarded by the ETag of the first answer
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()


def test_a_part_file_left_by_an_earlier_run_is_resumed(server, client, tmp_path):
    server.add("/f.bin", BODY)
    url, dest = server.url("/f.bin"), tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(BODY[:50_000])
    (tmp_path / "f.bin.part.json").write_text(json.dumps({"url": url, "ranges": None, "etag": '"v1"'}))
    result = client.download(url, dest)
    assert dest.read_bytes() == BODY and result.resumed_from == 50_000
    assert [s.range for s in server.requests_for("/f.bin")] == ["bytes=50000-"]


def test_a_part_file_of_another_download_is_discarded(server, client, tmp_path):
    server.add("/f.bin", BODY)
    (tmp_path / "f.bin.part").write_bytes(b"junk" * 100)
    (tmp_path / "f.bin.part.json").write_text(json.dumps({"url": "http://elsewhere/f.bin", "ranges": None}))
    client.download(server.url("/f.bin"), tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == BODY
    assert [s.range for s in server.requests_for("/f.bin")] == [None]


def test_server_ignoring_ranges_falls_back_to_a_full_download(server, client, tmp_path):
    server.add("/f.bin", BODY, drop_after=10_000, ignore_range=True)
    client.download(server.url("/f.bin"), tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == BODY
    ranges = [s.range for s in server.requests_for("/f.bin")]
    assert len(ranges) == 2 and ranges[0] is None and ranges[1].startswith("bytes=")


def test_changed_remote_file_restarts_instead_of_mixing_versions(server, client, tmp_path):
    server.add("/f.bin", BODY, etag='"v2"')
    url = server.url("/f.bin")
    (tmp_path / "f.bin.part").write_bytes(b"\xff" * 1000)  # bytes of version 1
    (tmp_path / "f.bin.part.json").write_text(json.dumps({"url": url, "ranges": None, "etag": '"v1"'}))
    client.download(url, tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == BODY


def test_byte_ranges_are_concatenated_in_order(server, client, tmp_path):
    server.add("/f.bin", BODY)
    ranges = [(10, 19), (1000, 1099), (102_000, None)]  # last one open-ended: to the end of the file
    result = client.download(server.url("/f.bin"), tmp_path / "sub.bin", ranges=ranges)
    assert (tmp_path / "sub.bin").read_bytes() == BODY[10:20] + BODY[1000:1100] + BODY[102_000:]
    assert [s.range for s in server.requests_for("/f.bin")] == ["bytes=10-19", "bytes=1000-1099", "bytes=102000-"]
    assert result.ranges == tuple(ranges)


def test_a_range_broken_mid_way_resumes_at_the_byte_where_it_broke(server, client, tmp_path):
    server.add("/f.bin", BODY, drop_after=10_000)
    ranges = [(1000, 20_999), (50_000, 59_999)]
    client.download(server.url("/f.bin"), tmp_path / "sub.bin", ranges=ranges)
    assert (tmp_path / "sub.bin").read_bytes() == BODY[1000:21_000] + BODY[50_000:60_000]
    first, resumed, second = [s.range for s in server.requests_for("/f.bin")]
    assert (first, second) == ("bytes=1000-20999", "bytes=50000-59999")
    start, end = (int(x) for x in resumed.removeprefix("bytes=").split("-"))
    assert 1000 < start <= 11_000 and end == 20_999


def test_ranges_from_a_server_that_ignores_them_are_cut_out_of_the_full_body(server, client, tmp_path):
    server.add("/f.bin", BODY, ignore_range=True)
    client.download(server.url("/f.bin"), tmp_path / "sub.bin", ranges=[(300, 399), (90_000, None)])
    assert (tmp_path / "sub.bin").read_bytes() == BODY[300:400] + BODY[90_000:]


def test_checksum_mismatch_deletes_the_file_and_says_so(server, client, tmp_path):
    server.add("/f.bin", BODY)
    with pytest.raises(ChecksumMismatch, match="SHA-256 .* differs from the expected 00ff"):
        client.download(server.url("/f.bin"), tmp_path / "f.bin", expected_sha256="00ff")
    assert not list(tmp_path.iterdir())
    good = hashlib.sha256(BODY).hexdigest()
    assert client.download(server.url("/f.bin"), tmp_path / "f.bin", expected_sha256=good).sha256 == good


def test_unreachable_server_is_a_fetch_error_after_retries(sleeps, tmp_path):
    with HttpClient(RetryPolicy(retries=1, timeout_s=1, backoff_s=0.01), sleep=sleeps.append) as http:
        with pytest.raises(FetchError, match=r"connection failed .*gave up after 2 attempts"):
            http.get_bytes("http://127.0.0.1:9/nothing")  # discard port: refused


def test_urls_are_redacted_in_errors_and_logs(server, client, caplog):
    server.add("/f.idx", b"x", statuses=[503])
    url = server.url("/f.idx").replace("http://", "http://user:hunter2@") + "?sig=SECRETSIG&sv=2024"
    with caplog.at_level(logging.DEBUG):
        client.get_bytes(url)
    assert "hunter2" not in caplog.text and "SECRETSIG" not in caplog.text
    assert redact_url(url).endswith("/f.idx?sig=***&sv=2024")
    assert redact_url("https://x.example/a?X-Amz-Signature=abc&X-Amz-Date=1") == (
        "https://x.example/a?X-Amz-Signature=***&X-Amz-Date=***"
    )


def test_range_helpers():
    assert merge_ranges([(10, 19), (0, 9), (30, 39), (20, 25), (30, 39)]) == [(0, 25), (30, 39)]
    assert merge_ranges([(0, 9), (10, None)]) == [(0, None)]
    assert parse_content_range("bytes 5-9/100") == (5, 9, 100)
    assert parse_content_range("bytes */100") == (None, None, 100)
    assert parse_content_range(None) == (None, None, None)
    assert known_total([(0, 9), (20, 29)]) == 20 and known_total([(0, 9), (20, None)]) is None
    assert locate([(0, 9), (20, 29)], 0) == (0, 0)
    assert locate([(0, 9), (20, 29)], 13) == (1, 3)
    assert locate([(0, 9), (20, 29)], 20) == (2, 0)
    assert locate([(0, 9), (20, 29)], 21) == (None, 0)
    assert locate([(0, 9), (50, None)], 15) == (1, 5)
    assert parse_retry_after("12") == 12.0 and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
