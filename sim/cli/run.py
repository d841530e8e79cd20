"""``flightsim run | validate | schema``: run a scenario, check scenario files, print the schema."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sim.cli.common import add_run_options, executor_from
from sim.errors import InputError
from sim.files import check_out_folder, check_writable, write_atomic
from sim.scenario.export import json_schema
from sim.scenario.limits import check_replicates
from sim.scenario.load import load_scenario
from sim.scenario.overrides import parse_sets


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``run``, ``validate`` and ``schema`` to the main parser."""
    p = subparsers.add_parser("run", help="run a scenario's replicates and write its run folder")
    p.add_argument("scenario", help="scenario YAML file")
    add_run_options(p, default_out="results/<name>/")
    p.add_argument("--posterior", help="posterior.parquet: each replicate draws its own parameters")
    p.set_defaults(func=cmd_run)
    p = subparsers.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", help="scenario YAML files")
    p.set_defaults(func=cmd_validate)
    p = subparsers.add_parser("schema", help="print the JSON schema of scenario files")
    p.add_argument("--out", help="write it to this file")
    p.set_defaults(func=cmd_schema)


def cmd_run(args: argparse.Namespace) -> int:
    # Engines are imported when their command runs: matplotlib and Dask take seconds to
    # import, and `flightsim --help` or `validate` should not wait for them.
    from sim.runs.posterior import posterior_tasks
    from sim.runs.runner import RESULTS_ROOT, run_scenario

    sets = parse_sets(args.sets)
    scenario = load_scenario(args.scenario, sets, overrides_from="--set")
    check_replicates([scenario], args.replicates)
    out = check_out_folder(args.out or RESULTS_ROOT / scenario.meta.name, "run", args.force)
    tasks = None
    if args.posterior:
        tasks = posterior_tasks(scenario, Path(args.posterior), args.replicates, args.seed)
    with executor_from(args) as executor:
        folder = run_scenario(
            scenario,
            out=out,
            replicates=args.replicates,
            seed=args.seed,
            jobs=args.jobs,
            executor=executor,
            tasks=tasks,
            show_progress=not args.quiet,
            extra_manifest={"overrides": sets} if sets else None,
        )
    print(f"wrote {folder}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    for path in args.scenarios:
        scenario = load_scenario(path)
        print(f"{path}: valid ({scenario.meta.name}, {scenario.run.start} to {scenario.run.end})")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    text = json_schema()
    if args.out:
        check_schema_file(args.out)
        write_atomic(args.out, text + "\n")
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


def check_schema_file(out: str) -> None:
    """``schema --out`` replaces only an earlier schema file (its title), never another file.

    Raises:
        InputError: ``out`` is a folder, another file, or under a file / an unwritable place.
    """
    path = Path(out)
    if path.is_dir():
        raise InputError(f"{out}: --out: is a folder; name a file")
    if path.exists():
        try:
            title = json.loads(path.read_text(encoding="utf-8")).get("title")
        except (OSError, ValueError, AttributeError):
            title = None
        if title != "flightsim scenario":
            raise InputError(f"{out}: --out: exists and is not a flightsim schema; left untouched")
    if not path.parent.is_dir():
        raise InputError(f"{out}: --out: {path.parent} is not an existing folder")
    check_writable(path.parent, out)
