"""A rich progress display for long CLI steps: one bar per labelled stage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from forecast.cli.common import err_console


@contextmanager
def stage_progress() -> Iterator:
    """Yield ``update(label, done, total)``: a bar per label on a terminal; otherwise one log line per
    stage when it starts and when it completes (CI logs, cron mails)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    ) as progress:
        tasks: dict[str, int] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
                if not err_console.is_terminal:
                    err_console.print(f"{time.strftime('%H:%M:%S')} {label} …", highlight=False)
            elif not err_console.is_terminal and done >= total > 0 and not progress.tasks[tasks[label]].finished:
                err_console.print(f"{time.strftime('%H:%M:%S')} {label} done ({total})", highlight=False)
            progress.update(tasks[label], completed=done, total=total)

        yield update
