#!/usr/bin/env python3
"""Check Autobahn TestSuite reports against autobahn/expected-results.json.

    autobahn_check.py --report server=target/autobahn/server/index.json \\
                      --report client=target/autobahn/client/index.json \\
                      [--cases '*'] [--exclude '12.*,13.*'] [--write]

Two independent checks, both must pass (exit status 0, else 1):

1. The pass rule, whatever the expected file says: in both roles every case must have
   `behavior` and `behaviorClose` OK or INFORMATIONAL. Cases of groups 12 and 13
   (permessage-deflate) may also be UNIMPLEMENTED. NON-STRICT, FAILED, WRONG CODE, ... fail.
2. The reports must equal the expected file, case by case and role by role; every
   difference is printed (a case that changed verdict, appeared or disappeared).

Only cases in scope are compared: those matching a `--cases` pattern and no `--exclude`
pattern (wstest's own wildcard syntax: `*` matches anything, everything else is literal),
so a run of `1.*` is compared with the `1.*` lines of the expected file only.

The expected file has one JSON object per line, one line per role and case, sorted:
    {"role":"client","case":"1.1.1","behavior":"OK","behaviorClose":"OK"}
`--write` regenerates it from the reports: lines in scope for the roles given are replaced,
the others are kept. It refuses to write while the pass rule fails.
"""

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

PASS = {"OK", "INFORMATIONAL"}
# permessage-deflate groups: a testee without the extension answers UNIMPLEMENTED.
OPTIONAL_GROUPS = {"12", "13"}
FIELDS = ("behavior", "behaviorClose")


def case_key(case):
    return tuple(int(part) for part in case.split("."))


def row_key(row):
    return (row["role"], case_key(row["case"]))


def compile_patterns(text):
    """wstest's wildcards (caseset.py): `*` is `.*`, `.` is literal, anchored."""
    pats = []
    for pat in filter(None, (p.strip() for p in text.split(","))):
        pats.append(re.compile("^" + re.escape(pat).replace(r"\*", ".*") + "$"))
    return pats


def in_scope(case, include, exclude):
    return any(p.match(case) for p in include) and not any(p.match(case) for p in exclude)


def load_report(role, path, agent):
    """Rows of one wstest index.json: {agent: {case: {"behavior": ..., ...}}}."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        sys.exit(f"error: cannot read the {role} report {path}: {e}")
    if set(data) != {agent}:
        sys.exit(
            f"error: the {role} report {path} has agents {sorted(data)}, expected exactly"
            f" [{agent!r}] (the client must use ?agent={agent}; the server spec names it)"
        )
    rows = []
    for case, result in data[agent].items():
        rows.append({"role": role, "case": case, **{f: result.get(f, "MISSING") for f in FIELDS}})
    return rows


def load_expected(path):
    rows = []
    for lineno, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if set(row) != {"role", "case", *FIELDS}:
                raise ValueError(f"keys must be role, case, {', '.join(FIELDS)}")
            case_key(row["case"])
        except ValueError as e:
            sys.exit(f"error: {path}:{lineno}: {e}")
        rows.append(row)
    return rows


def dump_row(row):
    return json.dumps({k: row[k] for k in ("role", "case", *FIELDS)}, separators=(",", ":"))


def pass_rule_violations(rows):
    bad = []
    for row in rows:
        allowed = PASS | ({"UNIMPLEMENTED"} if row["case"].split(".")[0] in OPTIONAL_GROUPS else set())
        wrong = [f"{f}={row[f]}" for f in FIELDS if row[f] not in allowed]
        if wrong:
            bad.append(f"  {row['role']} {row['case']}: {', '.join(wrong)}")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--report", action="append", default=[], metavar="ROLE=PATH",
                    help="role (server or client) and its index.json; repeatable")
    ap.add_argument("--expected", default=str(Path(__file__).resolve().parent.parent / "autobahn" / "expected-results.json"))
    ap.add_argument("--agent", default="rfc6455")
    ap.add_argument("--cases", default="*", help="comma-separated case patterns in scope")
    ap.add_argument("--exclude", default="", help="comma-separated case patterns out of scope")
    ap.add_argument("--write", action="store_true", help="regenerate the expected file from the reports")
    args = ap.parse_args()

    include, exclude = compile_patterns(args.cases), compile_patterns(args.exclude)
    if not include:
        sys.exit("error: --cases selects nothing")
    if not args.report:
        sys.exit("error: no --report given")

    actual, roles = [], []
    for spec in args.report:
        role, sep, path = spec.partition("=")
        if not sep or role not in ("server", "client") or role in roles:
            sys.exit(f"error: bad --report {spec!r}: want server=PATH or client=PATH, each once")
        roles.append(role)
        rows = [r for r in load_report(role, path, args.agent) if in_scope(r["case"], include, exclude)]
        if not rows:
            sys.exit(f"error: the {role} report {path} has no case in scope")
        actual += rows
    actual.sort(key=row_key)

    ok = True
    for role in roles:
        counts = Counter()
        for row in actual:
            if row["role"] == role:
                counts.update(f"{f}={row[f]}" for f in FIELDS)
        n = sum(1 for row in actual if row["role"] == role)
        print(f"{role}: {n} cases; " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))

    bad = pass_rule_violations(actual)
    if bad:
        ok = False
        print(f"FAIL: {len(bad)} case(s) break the pass rule (behavior and behaviorClose must be"
              " OK or INFORMATIONAL; UNIMPLEMENTED allowed in groups 12/13 only):")
        print("\n".join(bad))

    expected_path = Path(args.expected)
    def scoped(row):
        return row["role"] in roles and in_scope(row["case"], include, exclude)

    if args.write and bad:
        print(f"not writing {expected_path}: the pass rule fails, so these results are not good")
    elif args.write:
        kept = load_expected(expected_path) if expected_path.exists() else []
        kept = [r for r in kept if not scoped(r)]
        rows = sorted(kept + actual, key=row_key)
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_text("".join(dump_row(r) + "\n" for r in rows))
        print(f"wrote {len(rows)} lines to {expected_path} ({len(actual)} from these reports)")
    elif not expected_path.exists():
        ok = False
        print(f"FAIL: the expected-results file {expected_path} does not exist; once the"
              " results are good, create it with `scripts/autobahn.sh --write`")
    else:
        expected = {(r["role"], r["case"]): r for r in load_expected(expected_path) if scoped(r)}
        got = {(r["role"], r["case"]): r for r in actual}
        diffs = []
        for key in sorted(expected.keys() | got.keys(), key=lambda k: (k[0], case_key(k[1]))):
            e, g = expected.get(key), got.get(key)
            if e is None:
                diffs.append(f"  + {dump_row(g)}   (not in the expected file)")
            elif g is None:
                diffs.append(f"  - {dump_row(e)}   (missing from the report)")
            elif any(e[f] != g[f] for f in FIELDS):
                diffs.append(f"  - {dump_row(e)}\n  + {dump_row(g)}")
        if diffs:
            ok = False
            print(f"FAIL: {len(diffs)} difference(s) from {expected_path}:")
            print("\n".join(diffs))
        else:
            print(f"reports match {expected_path} ({len(got)} role/case lines in scope)")

    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
