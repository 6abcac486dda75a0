#!/usr/bin/env python3
"""Checks that docs/architecture.md's table of targets, the dependencies Package.swift declares and
the imports of every Swift file agree. Exit status 1 with one line per disagreement."""
import json, pathlib, re, subprocess, sys

root = pathlib.Path(__file__).resolve().parent.parent
SYSTEM = {"Foundation", "FoundationEssentials", "FoundationXML", "FoundationNetworking", "Glibc", "Darwin", "Dispatch", "Testing", "XCTest", "os"}

package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                    capture_output=True, text=True).stdout)
declared, paths, kinds = {}, {}, {}
for t in package["targets"]:
    deps = set()
    for d in t.get("dependencies", []):
        for key in ("byName", "target", "product"):
            if key in d:
                deps.add(d[key][0])
    declared[t["name"]] = deps
    kinds[t["name"]] = t["type"]
    default = "Tests" if t["type"] == "test" else "Sources"
    paths[t["name"]] = root / (t.get("path") or f"{default}/{t['name']}")

problems = []
for name, deps in declared.items():
    files = list(paths[name].rglob("*.swift"))
    if not files:
        continue
    imports = set()
    for f in files:
        for m in re.finditer(r"^\s*(?:@testable\s+)?(?:@_exported\s+)?import\s+(?:struct\s+|enum\s+|class\s+|func\s+)?(\w+)",
                             f.read_text(), re.M):
            imports.add(m.group(1))
    imports -= SYSTEM
    for missing in sorted(imports - deps):
        problems.append(f"{name} imports {missing} but Package.swift does not declare it")
    if kinds[name] != "test":
        for unused in sorted(deps - imports):
            problems.append(f"{name} declares {unused} but no file imports it")

doc = (root / "docs/architecture.md").read_text()
block = re.search(r"```text\n(.*?)```", doc, re.S)
documented = {}
for line in (block.group(1) if block else "").splitlines():
    if "->" not in line:
        continue
    left, right = line.split("->", 1)
    documented[left.strip()] = set(right[1:].split("  ")[0].split())
for name, deps in declared.items():
    if kinds[name] == "test":
        continue
    if name not in documented:
        problems.append(f"docs/architecture.md has no line for target {name}")
    elif documented[name] != deps:
        problems.append(f"docs/architecture.md: {name} -> {' '.join(sorted(documented[name]))}; "
                        f"Package.swift: {' '.join(sorted(deps))}")
for name in sorted(set(documented) - set(declared)):
    problems.append(f"docs/architecture.md lists {name}, which Package.swift does not have")

for p in problems:
    print("check-architecture:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
