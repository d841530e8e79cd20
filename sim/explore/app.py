"""The explorer page (Solara): levers in the sidebar, results against the base in the main area.

Started by ``flightsim explore`` (:mod:`sim.cli.explore`), which passes the scenario, the base,
the posterior and the worker count in the environment (``FLIGHTSIM_EXPLORE_*``). Everything this
module computes comes from :mod:`sim.explore.levers`, :mod:`sim.explore.results`,
:mod:`sim.explore.charts` and :mod:`sim.explore.worldmap`; here are only the components and
the background run (a Solara task in a thread, polled for progress, so the page never blocks).
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import solara
import solara.lab

from sim.errors import FlightsimError
from sim.explore.charts import channel_figure, effects_figure, series_figure
from sim.explore.levers import (
    KNOBS,
    PLEDGE_GROUPS,
    Controls,
    build_policy,
    control_docs,
    default_controls,
    export_yaml,
    treaty_choices,
    visa_choices,
)
from sim.explore.results import (
    LatestRun,
    Tables,
    format_number,
    run_explorer,
    tables_of,
    worker_pool,
)
from sim.explore.saving import download_link, save_yaml
from sim.explore.worldmap import map_figure, unmapped
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario

ENV_SCENARIO = "FLIGHTSIM_EXPLORE_SCENARIO"
ENV_BASE = "FLIGHTSIM_EXPLORE_BASE"
ENV_POSTERIOR = "FLIGHTSIM_EXPLORE_POSTERIOR"
ENV_JOBS = "FLIGHTSIM_EXPLORE_JOBS"
NO_TREATY = "(none)"
EXPORT_NAME = "explored.yaml"


@dataclass(frozen=True)
class Setup:
    """What the command line chose: files, the base, the posterior and the workers."""

    scenario_file: str
    base: Scenario
    posterior: Path | None
    jobs: int


@cache
def setup() -> Setup:
    """Read the command line's choices from the environment (once per server)."""
    scenario_file = os.environ.get(ENV_SCENARIO, "scenarios/baseline.yaml")
    posterior = os.environ.get(ENV_POSTERIOR, "")
    return Setup(
        scenario_file=scenario_file,
        base=load_scenario(os.environ.get(ENV_BASE, scenario_file)),
        posterior=Path(posterior) if posterior else None,
        jobs=int(os.environ.get(ENV_JOBS, "1")),
    )


@cache
def run_pool() -> Executor:
    """The workers shared by every session: a process pool, or one thread with one job."""
    return worker_pool(setup().jobs)


start_file = solara.reactive("")
start = solara.reactive(None)
controls = solara.reactive(None)
message = solara.reactive("")
save_path = solara.reactive("")
load_path = solara.reactive("")
map_year = solara.reactive(2030)


@dataclass(frozen=True)
class Outcome:
    """A finished run of the page: the controls it was for, its tables and its time."""

    controls: Controls
    tables: Tables
    seconds: float
    runs: int


@solara.lab.task(prefer_threaded=True)
def comparison(scenario: Scenario, chosen: Controls, runs: LatestRun) -> Outcome:
    """Run base and explored scenario in the background; progress is polled every 0.2 s.

    A call while a run is going cancels that run between replicates (``runs``, the session's
    :class:`LatestRun`): its waiting replicates never start and its result is never shown.
    """
    began = time.perf_counter()
    policy = build_policy(scenario, chosen)
    total = 2 * chosen.replicates
    done = [0]

    def finished() -> None:
        done[0] += 1

    posterior = setup().posterior if chosen.posterior else None
    executor = runs.begin(run_pool(), finished)
    with ThreadPoolExecutor(max_workers=1) as driver:
        future = driver.submit(
            runs.run, executor, run_explorer, setup().base, policy, executor, posterior
        )
        while not future.done():
            if runs.is_current(executor):  # a stale run no longer moves the bar
                comparison.progress = 100.0 * done[0] / total
            time.sleep(0.2)
        result = future.result()
    return Outcome(chosen, tables_of(result), time.perf_counter() - began, total)


def _set(new: Controls) -> None:
    controls.value = new


def _doc_line(key: str) -> str:
    d = control_docs()[key]
    return f"{d.meaning} ({d.unit})"


@solara.component
def NumberField(
    label: str,
    value: float,
    parse: Callable[[str], float],
    change: Callable[[Any], Controls],
    classes: list[str] | None = None,
) -> None:
    """A number typed as text (applied on Enter or leaving the field); bad text is shown."""
    problem = solara.use_reactive("")

    def apply(text: str) -> None:
        try:
            number = parse(text.strip())
        except ValueError:
            problem.value = f"{text!r} is not a number"
            return
        problem.value = ""
        _set(change(number))

    shown = str(value) if parse is int else f"{value:g}"
    solara.InputText(label, value=shown, on_value=apply, classes=classes or [],
                     error=problem.value or False)  # fmt: skip


@solara.component
def KnobControl(name: str) -> None:
    """Level from a month on, for one schedule."""
    now = controls.value
    knob = now.knobs[name]
    solara.Markdown(f"**{name.replace('_', ' ')}**: {_doc_line(name)}")
    with solara.Row():
        solara.InputText(
            "from (YYYY-MM)", value=knob.start, classes=[f"lever-{name}-from"],
            on_value=lambda v: _set(controls.value.with_knob(name, start=v.strip())),
        )  # fmt: skip
        NumberField("level", knob.level, float, lambda v: controls.value.with_knob(name, level=v),
                    classes=[f"lever-{name}-level"])  # fmt: skip
    solara.SliderFloat(
        "", value=knob.level, min=0.0, max=3.0, step=0.05,
        on_value=lambda v: _set(controls.value.with_knob(name, level=float(v))),
    )  # fmt: skip


@solara.component
def TreatyControl() -> None:
    now = controls.value
    solara.Markdown(f"**new treaty**: {_doc_line('treaty.iso3')}; {_doc_line('treaty.date')}")
    with solara.Row():
        solara.Select(
            "country", values=[NO_TREATY, *treaty_choices()],
            value=now.treaty.iso3 or NO_TREATY,
            on_value=lambda v: _set(replace(controls.value, treaty=replace(
                controls.value.treaty, iso3="" if v == NO_TREATY else v))),
        )  # fmt: skip
        solara.InputText(
            "in force from", value=now.treaty.date,
            on_value=lambda v: _set(replace(controls.value, treaty=replace(
                controls.value.treaty, date=v.strip()))),
        )  # fmt: skip


@solara.component
def VisaControl() -> None:
    now = controls.value

    def visa(**changes) -> None:
        _set(replace(controls.value, visa=replace(controls.value.visa, **changes)))

    solara.Markdown(f"**investor-visa route**: {_doc_line('visa.iso3')}; "
                    f"{_doc_line('visa.open')}; {_doc_line('visa.date')}")  # fmt: skip
    with solara.Row():
        solara.Select(
            "country", values=[NO_TREATY, *visa_choices()], value=now.visa.iso3 or NO_TREATY,
            on_value=lambda v: visa(iso3="" if v == NO_TREATY else v),
        )  # fmt: skip
        solara.InputText("from", value=now.visa.date, on_value=lambda v: visa(date=v.strip()))
    solara.Switch(label="open (off: closed)", value=now.visa.open,
                  on_value=lambda v: visa(open=bool(v)))  # fmt: skip


@solara.component
def PledgeControl() -> None:
    now = controls.value

    def pledge(**changes) -> None:
        _set(replace(controls.value, pledge=replace(controls.value.pledge, **changes)))

    solara.Markdown("**new pledge** (no safe haven)")
    solara.Switch(label="add a pledge", value=now.pledge.enabled,
                    on_value=lambda v: pledge(enabled=v))  # fmt: skip
    if not now.pledge.enabled:
        return
    solara.Markdown(_doc_line("pledge.members"))
    solara.InputText(f"members ({', '.join(PLEDGE_GROUPS)} or ISO3 codes)",
                     value=now.pledge.members, on_value=lambda v: pledge(members=v))  # fmt: skip
    solara.InputText("from (YYYY-MM)", value=now.pledge.date,
                     on_value=lambda v: pledge(date=v.strip()))  # fmt: skip
    solara.SliderFloat(f"level: {_doc_line('pledge.pledge_level')}", value=now.pledge.level,
                       min=0.0, max=1.0, step=0.05, on_value=lambda v: pledge(level=v))  # fmt: skip
    solara.SliderFloat(f"compliance: {_doc_line('pledge.compliance')}",
                       value=now.pledge.compliance, min=0.0, max=1.0, step=0.05,
                       on_value=lambda v: pledge(compliance=v))  # fmt: skip


@solara.component
def RunControl() -> None:
    now = controls.value
    solara.Markdown("**run** (coarse: one simulated official stands for `scale` real ones)")
    with solara.Row():
        NumberField("scale", now.scale, int,
                    lambda v: replace(controls.value, scale=max(v, 1)))  # fmt: skip
        NumberField("replicates", now.replicates, int,
                    lambda v: replace(controls.value, replicates=max(v, 2)))  # fmt: skip
        NumberField("seed", now.seed, int, lambda v: replace(controls.value, seed=max(v, 0)))
    if setup().posterior is not None:
        solara.Switch(label=f"draw parameters from the posterior ({setup().posterior})",
                        value=now.posterior,
                        on_value=lambda v: _set(replace(controls.value, posterior=v)))  # fmt: skip


def _load() -> None:
    try:
        scenario = load_scenario(load_path.value.strip())
    except FlightsimError as exc:
        message.value = f"not loaded: {exc}"
        return
    start.value = scenario
    start_file.value = load_path.value.strip()
    old = controls.value
    fresh = default_controls(scenario, scale=old.scale, replicates=old.replicates)
    controls.value = replace(fresh, seed=old.seed)
    message.value = f"loaded {start_file.value}"


def _save() -> None:
    try:
        text = export_yaml(start.value, controls.value)
        message.value = save_yaml(Path(save_path.value.strip()), text)
    except FlightsimError as exc:
        message.value = f"not saved: {exc}"


@solara.component
def DownloadLink() -> None:
    """The scenario YAML as the levers are set, as a link the browser saves.

    A plain ``<a download>`` with the YAML in its address, not Solara's ``FileDownload``: with
    ipyvue/ipyvuetify 3 Solara 1.58 builds the page as a Vue 3 app, which does not know the
    ``<jupyter-widget>`` element FileDownload's template puts its button in, so nothing showed.
    """
    try:
        text = export_yaml(start.value, controls.value)
    except FlightsimError as exc:
        solara.Markdown(f"*no download: {exc}*")
        return
    solara.HTML(tag="div", unsafe_innerHTML=download_link(text, EXPORT_NAME))


@solara.component
def FilesControl() -> None:
    solara.Markdown("**files**")
    solara.InputText("scenario file to load", value=load_path, classes=["load-path"])
    solara.Button("Load", on_click=_load, classes=["load-button"])
    solara.InputText("save YAML to path", value=save_path, classes=["save-path"])
    solara.Button("Save YAML", on_click=_save, classes=["save-button"])
    DownloadLink()
    if message.value:
        solara.HTML(tag="div", unsafe_innerHTML=f'<span id="file-message">'
                    f"{html.escape(message.value)}</span>")  # fmt: skip


def effects_html(outcome: Outcome) -> str:
    """The effects table, one row per headline outcome (ids ``effect-<outcome>`` for tests)."""
    rows = []
    for r in outcome.tables.effects.itertuples():
        est, low, high = (format_number(v, r.unit) for v in (r.estimate, r.low, r.high))
        rows.append(
            f"<tr><td>{html.escape(r.label)}</td><td id='effect-{r.outcome}'>{est}</td>"
            f"<td>[{low}, {high}]</td><td>{r.p_better:.2f}</td><td>{r.unit}</td></tr>"
        )
    head = ("<tr><th>outcome</th><th>effect</th><th>95% interval</th>"
            "<th>P(better)</th><th>unit</th></tr>")  # fmt: skip
    return f"<table class='effects' style='border-spacing:12px 2px'>{head}{''.join(rows)}</table>"


@solara.component
def Results(outcome: Outcome) -> None:
    tables = outcome.tables
    start_month, end_month = tables.horizon
    solara.Markdown(f"### Paired effect on the headline outcomes, {start_month} to {end_month}")
    with solara.Columns([3, 2]):
        solara.HTML(tag="div", unsafe_innerHTML=effects_html(outcome))
        solara.FigureMatplotlib(effects_figure(tables.effects), format="png")
    solara.Markdown("### Flows and stocks (mean and 5-95% band over replicates)")
    solara.FigureMatplotlib(series_figure(tables.series, tables.labels), format="png")
    solara.Markdown("### Fugitives abroad by destination")
    years = sorted(set(tables.destinations["year"]))
    year = min(max(map_year.value, years[0]), years[-1])
    solara.SliderInt(f"map year: {year}", value=map_year, min=years[0], max=years[-1])
    rows = tables.destinations[tables.destinations["year"] == year]
    stocks = {lab: dict(zip(g["iso3"], g["stock_abroad"], strict=True))
              for lab, g in rows.groupby("scenario", sort=False)}  # fmt: skip
    stocks = {lab: stocks.get(lab, {}) for lab in tables.labels}
    with solara.Columns([5, 1]):
        solara.FigureMatplotlib(map_figure(stocks, year), format="png")
        lines = [f"| not on the map | {' | '.join(tables.labels)} |", "|---|---|---|"]
        others = {lab: unmapped(s) for lab, s in stocks.items()}
        for code in others[tables.labels[0]]:
            values = " | ".join(f"{others[lab].get(code, 0.0):,.0f}" for lab in tables.labels)
            lines.append(f"| {code} | {values} |")
        solara.Markdown("\n".join(lines))
    solara.Markdown("### Returns by channel")
    solara.FigureMatplotlib(channel_figure(tables.channels, tables.labels), format="png")


def _status() -> tuple[str, str]:
    if comparison.pending:
        return "running", f"running {2 * controls.value.replicates} runs ..."
    if comparison.error:
        return "error", f"could not run: {comparison.exception}"
    outcome = comparison.value
    if outcome is None:
        return "idle", "not run yet"
    if outcome.controls != controls.value:
        return "stale", "levers changed since this run: press Run"
    return "done", f"done: {outcome.runs} runs in {outcome.seconds:.1f} s"


@solara.component
def Page() -> None:
    if start.value is None:
        first = load_scenario(setup().scenario_file)
        start.set(first)
        start_file.set(setup().scenario_file)
        controls.set(default_controls(first))
        load_path.set(setup().scenario_file)
        save_path.set(EXPORT_NAME)
    chosen = controls.value
    runs = solara.use_memo(LatestRun, [])  # this session's runs; a new one cancels the last
    solara.use_effect(lambda: comparison(start.value, chosen, runs), [chosen, start.value])
    solara.Title("flightsim explorer")
    with solara.Columns([1, 3]):
        with solara.Column():
            solara.Markdown(f"## Levers\nscenario `{start_file.value}` against base "
                            f"`{setup().base.meta.name}`")  # fmt: skip
            for name in KNOBS:
                KnobControl(name)
            TreatyControl()
            PledgeControl()
            VisaControl()
            RunControl()
            solara.Button("Run", on_click=lambda: comparison(start.value, controls.value, runs),
                          classes=["run-button"])  # fmt: skip
            FilesControl()
        with solara.Column():
            state, text = _status()
            solara.HTML(tag="div", unsafe_innerHTML=f'<span id="run-status" data-state="{state}">'
                        f"{html.escape(text)}</span>")  # fmt: skip
            solara.ProgressLinear(comparison.progress if comparison.pending else False)
            if comparison.value is not None:
                Results(comparison.value)
