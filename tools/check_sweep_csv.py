#!/usr/bin/env python3
"""Checks that Python reads a sweep's result tables as Tangent meant them (used by SweepResultsTests).

Reads OUT/sweep.csv, OUT/aggregate.csv and optionally one OUT/curves/ file with Python's csv module (and with
pandas when it is installed) and compares their column names, row counts and chosen cells with the expected ones:

    python3 tools/check_sweep_csv.py OUT \\
        --sweep-columns '["seed", "status", "train.loss"]' --sweep-rows 4 \\
        --aggregate-columns '["n", "train.loss.mean", "train.loss.std", "train.loss.stderr"]' --aggregate-rows 1 \\
        --curve train.loss.csv --curve-columns '["step", "mean", "stderr", "n"]' --curve-rows 3 \\
        --cell sweep.csv 0 seed 1

Column lists are JSON lists of strings. `--cell FILE ROW COLUMN VALUE` (repeatable; FILE relative to OUT, ROW
0-based after the header) checks one cell's text as the csv module reads it. Exits 0 when everything matches,
1 listing every mismatch.
"""
import argparse
import csv
import json
import os
import sys


def read_csv_module(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        return None, [], [f"{path}: empty file (no header row)"]
    header, body = rows[0], rows[1:]
    problems = [f"{path}: row {i} has {len(r)} fields, the header {len(header)}"
                for i, r in enumerate(body) if len(r) != len(header)]
    return header, body, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="the sweep's output folder (holds sweep.csv, aggregate.csv, curves/)")
    for name in ("sweep", "aggregate", "curve"):
        parser.add_argument(f"--{name}-columns", type=json.loads, help="expected columns, a JSON list")
        parser.add_argument(f"--{name}-rows", type=int, help="expected number of rows after the header")
    parser.add_argument("--curve", help="a curve file to check, relative to OUT/curves/")
    parser.add_argument("--cell", nargs=4, action="append", default=[], metavar=("FILE", "ROW", "COLUMN", "VALUE"),
                        help="expected text of one cell (FILE relative to OUT, ROW 0-based)")
    args = parser.parse_args()

    try:
        import pandas
    except ImportError:
        pandas = None

    files = {"sweep": "sweep.csv", "aggregate": "aggregate.csv"}
    if args.curve:
        files["curve"] = os.path.join("curves", args.curve)
    problems = []
    tables = {}
    for name, relative in files.items():
        path = os.path.join(args.out, relative)
        if not os.path.isfile(path):
            problems.append(f"{path}: missing")
            continue
        header, body, bad = read_csv_module(path)
        problems += bad
        tables[relative] = (header, body)
        columns, rows = getattr(args, f"{name}_columns"), getattr(args, f"{name}_rows")
        if columns is not None and header != columns:
            problems.append(f"{relative}: csv module read columns {header}, expected {columns}")
        if rows is not None and len(body) != rows:
            problems.append(f"{relative}: csv module read {len(body)} rows, expected {rows}")
        if pandas is not None:
            frame = pandas.read_csv(path)
            if columns is not None and list(frame.columns) != columns:
                problems.append(f"{relative}: pandas read columns {list(frame.columns)}, expected {columns}")
            if rows is not None and len(frame) != rows:
                problems.append(f"{relative}: pandas read {len(frame)} rows, expected {rows}")

    for relative, row, column, value in args.cell:
        if relative not in tables:
            header, body, bad = read_csv_module(os.path.join(args.out, relative))
            tables[relative] = (header, body)
        header, body = tables[relative]
        row = int(row)
        if header is None or column not in header or row >= len(body):
            problems.append(f"{relative}: no cell at row {row}, column {column!r}")
        elif body[row][header.index(column)] != value:
            problems.append(f"{relative}: row {row}, column {column!r} is {body[row][header.index(column)]!r}, "
                            f"expected {value!r}")

    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    readers = "csv module" + (f" and pandas {pandas.__version__}" if pandas else " (pandas not installed)")
    print(f"ok: {', '.join(files.values())} read by the {readers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
